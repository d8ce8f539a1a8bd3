"""Group pages: the list, a group's page, creating and editing, members, the group's
library and picture, and the actions (join, leave, requests, invitations, roles, sharing
an item with the group) - each a POST to one of the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from config.errors import show_error
from tenant_apps.blobs.downloads import serve_blob
from tenant_apps.blobs.models import Blob
from tenant_apps.blobs.storage import BlobWriteError
from tenant_apps.groups import services
from tenant_apps.groups.access import access_group
from tenant_apps.groups.extensions import group_action, group_sections
from tenant_apps.groups.forms import VISIBILITY_LABELS, GroupForm, GroupPictureForm
from tenant_apps.groups.picker import PERSON, PickerError
from tenant_apps.groups.picker_views import picker_read
from tenant_apps.groups.selectors import (
    group_invitations,
    group_join_requests,
    group_member_count,
    group_members,
    groups_of,
    groups_page,
    groups_visible_to,
    is_manager,
    members_page,
    viewer_state,
)
from tenant_apps.institution.confirm import confirm_page, is_confirmed
from tenant_apps.people.access import access_person
from tenant_apps.people.models import User
from tenant_apps.people.selectors import people_visible_to, person_summary, profile_for

PAGE = 50
PENDING_SHOWN = 50


def group_list(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("mine") == "1" and request.user.is_authenticated
    groups = (
        groups_of(viewer=request.user, person=request.user)
        if mine
        else groups_visible_to(request.user)
    )
    page, next_after = groups_page(groups, after=request.GET.get("after"), size=PAGE)
    return render(
        request,
        "groups/list.html",
        {
            "groups": [(group, VISIBILITY_LABELS[group.visibility]) for group in page],
            "next_after": next_after,
            "mine": mine,
        },
    )


@login_required(login_url="signin")
def group_new(request: HttpRequest) -> HttpResponse:
    form = GroupForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                group = services.group_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                show_error(request, error, form=form)
            else:
                messages.success(request, _("Your group is created; you are its manager."))
                return redirect("group-page", public_id=group.public_id)
        return render(request, "groups/form.html", {"form": form, "group": None}, status=400)
    return render(request, "groups/form.html", {"form": form, "group": None})


def group_page(request: HttpRequest, public_id: str) -> HttpResponse:
    group = access_group(request.user, public_id)
    standing = viewer_state(group, request.user)
    managing = standing["role"] == "manager"
    context = {
        "group": group,
        "visibility_label": VISIBILITY_LABELS[group.visibility],
        "standing": standing,
        "managing": managing,
        "member_count": group_member_count(group),
        **group_sections(request, group),  # e.g. the group's library (content)
    }
    if managing:
        context["requests"] = [
            (person_summary(request.user, r.user))
            for r in group_join_requests(group)[:PENDING_SHOWN]
        ]
        context["invitations"] = [
            (person_summary(request.user, i.user)) for i in group_invitations(group)[:PENDING_SHOWN]
        ]
    return render(request, "groups/group.html", context)


@login_required(login_url="signin")
def group_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    group = access_group(request.user, public_id)
    if not is_manager(group, request.user):
        raise PermissionDenied(_("Only the group's managers edit it."))
    form = GroupForm(request.POST or None, instance=group)
    picture_form = GroupPictureForm()
    if request.method == "POST":
        if form.is_valid():
            try:
                services.group_update(
                    actor=request.user,
                    group=group,
                    **{field: form.cleaned_data[field] for field in form.changed_data},
                )
            except ValidationError as error:
                show_error(request, error, form=form)
            else:
                messages.success(request, _("The group is saved."))
                return redirect("group-page", public_id=group.public_id)
        status = 400
    else:
        status = 200
    return render(
        request,
        "groups/form.html",
        {"form": form, "group": group, "picture_form": picture_form},
        status=status,
    )


def group_picture(request: HttpRequest, public_id: str) -> HttpResponse:
    """The group's picture, for anyone who may see the group; 404 otherwise or without one."""
    group = access_group(request.user, public_id)
    if group.picture_id is None:
        raise Http404(_("This group has no picture."))
    blob = Blob.objects.get(pk=group.picture_id)
    return serve_blob(request, blob=blob, filename=f"{group.public_id}.png", mime="image/png")


@login_required(login_url="signin")
@require_POST
def group_picture_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    """Upload or replace (action "upload") or remove (action "remove") the picture."""
    group = access_group(request.user, public_id)
    if not is_manager(group, request.user):
        raise PermissionDenied(_("Only the group's managers change its picture."))
    if request.POST.get("action") == "remove":
        services.group_picture_remove(actor=request.user, group=group)
        messages.success(request, _("The picture is removed."))
        return redirect("group-edit", public_id=group.public_id)
    picture_form = GroupPictureForm(request.POST, request.FILES)
    status = 400
    if picture_form.is_valid():
        try:
            services.group_picture_set(
                actor=request.user, group=group, source=picture_form.cleaned_data["picture"]
            )
        except ValidationError as error:
            show_error(request, error, form=picture_form)
        except BlobWriteError as error:
            show_error(request, error, form=picture_form)
            status = error.status
        else:
            messages.success(request, _("The picture is saved."))
            return redirect("group-edit", public_id=group.public_id)
    return render(
        request,
        "groups/form.html",
        {"form": GroupForm(instance=group), "group": group, "picture_form": picture_form},
        status=status,
    )


def group_members_page(request: HttpRequest, public_id: str) -> HttpResponse:
    group = access_group(request.user, public_id)
    # The page continues after a member named by their public id, never a row number.
    page, next_after = members_page(group, after=request.GET.get("after"), size=PAGE)
    members = [(person_summary(request.user, m.user), m.role) for m in page]
    return render(
        request,
        "groups/members.html",
        {
            "group": group,
            "members": members,
            "next_after": next_after,
            "managing": is_manager(group, request.user),
        },
    )


def _person_in(rows, public_id: str) -> User:
    row = rows.filter(user__public_id=public_id).first()
    if row is None:
        raise Http404(_("No such person here."))
    return row.user


@login_required(login_url="signin")
@require_POST
def group_act(request: HttpRequest, public_id: str) -> HttpResponse:
    """One form target for every action on a group; each action is one service call."""
    group = access_group(request.user, public_id)
    action = request.POST.get("action", "")
    person_id = request.POST.get("person", "").strip()
    actor = request.user
    back = redirect("group-page", public_id=group.public_id)
    try:
        if action == "join":
            joined = services.group_join(actor=actor, group=group)
            messages.success(
                request,
                _("You are a member of the group.")
                if hasattr(joined, "role")
                else _("Your request to join is sent to the group's managers."),
            )
        elif action == "leave":
            if not is_confirmed(request) and viewer_state(group, actor)["is_invited"]:
                return confirm_page(
                    request,
                    title=_("Decline the invitation to %(group)s?") % {"group": group.title},
                    explanation=_(
                        "You will not join the group. To join later you will need a new "
                        "invitation, or to ask to join if the group allows it."
                    ),
                    button=_("Decline invitation"),
                    fields=[("action", "leave")],
                    cancel=reverse("group-page", args=[group.public_id]),
                )
            services.group_leave(actor=actor, group=group)
            messages.success(request, _("Done: you are no longer in the group or its lists."))
            return redirect("group-list")
        elif action in ("accept", "decline"):
            person = _person_in(group_join_requests(group), person_id)
            services.group_request_decide(
                actor=actor, group=group, person=person, accept=action == "accept"
            )
            messages.success(
                request,
                _("%(display_name)s is now a member.") % {"display_name": person.display_name}
                if action == "accept"
                else _("%(display_name)s's request is declined.")
                % {"display_name": person.display_name},
            )
        elif action == "invite":
            # Names typed or picked (groups.picker); each invitation is one service call.
            try:
                ids = picker_read(request, "person", kinds=(PERSON,))
            except PickerError as error:
                if error.choices:
                    raise ValidationError(
                        [
                            _(
                                "Several people match “%(name)s”: type more of the name, "
                                "or pick from the suggestions."
                            )
                            % {"name": name[:100]}
                            for name in error.choices
                        ]
                    ) from None
                raise
            if not ids:
                raise ValidationError(_("Choose someone to invite."))
            people = {p.public_id: p for p in people_visible_to(actor).filter(public_id__in=ids)}
            if any(i not in people for i in ids):
                raise ValidationError(_("There is no one with that id."))
            with transaction.atomic():  # all invited, or none
                for invited in ids:
                    services.group_invite(actor=actor, group=group, person=people[invited])
            names = ", ".join(people[i].display_name for i in ids)
            messages.success(
                request,
                ngettext("%(names)s is invited.", "%(names)s are invited.", len(ids))
                % {"names": names},
            )
        elif action == "cancel-invitation":
            person = _person_in(group_invitations(group), person_id)
            services.group_invitation_cancel(actor=actor, group=group, person=person)
            messages.success(request, _("Invitation withdrawn."))
        elif action in ("make-manager", "make-member"):
            person = _person_in(group_members(group), person_id)
            role = "manager" if action == "make-manager" else "member"
            services.group_member_set_role(actor=actor, group=group, person=person, role=role)
            messages.success(request, _("Role changed."))
            back = redirect("group-members-page", public_id=group.public_id)
        elif action == "remove":
            person = _person_in(group_members(group), person_id)
            services.group_member_remove(actor=actor, group=group, person=person)
            messages.success(request, _("Removed from the group."))
            back = redirect("group-members-page", public_id=group.public_id)
        elif (extension := group_action(action)) is not None:
            return extension(request, group)  # an app above groups (the library's sharing)
        elif action == "delete":
            if request.POST.get("confirm") != "yes":
                messages.error(
                    request, _("Tick the box to confirm that the group is to be deleted.")
                )
                return redirect("group-edit", public_id=group.public_id)
            services.group_delete(actor=actor, group=group)
            messages.success(request, _("The group is in the trash; its managers can restore it."))
            return redirect("group-list")
        else:
            messages.error(request, _("Unknown action."))
    except (ValidationError, PermissionDenied) as error:
        show_error(request, error)
    return back


def person_groups(request: HttpRequest, public_id: str) -> HttpResponse:
    """A profile's Groups tab: the person's groups that the viewer may see."""
    person = access_person(request.user, public_id)
    groups = list(groups_of(viewer=request.user, person=person).order_by("title", "id")[:200])
    return render(
        request,
        "groups/person_groups.html",
        {"profile": profile_for(request.user, person), "groups": groups},
    )
