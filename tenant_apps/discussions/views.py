"""Discussion pages: the list (``/discussions/``), starting a topic (optionally within a
group), a topic with its threaded replies and the reply form, editing, and the actions
(reply, follow, unfollow, members, delete). Every page reads without JavaScript; the
mention picker suggests names with it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.errors import show_error
from tenant_apps.discussions.access import access_discussion, access_reply
from tenant_apps.discussions.forms import DiscussionForm, ReplyForm
from tenant_apps.discussions.models import Discussion, DiscussionRole
from tenant_apps.discussions.selectors import (
    discussion_list,
    discussion_members,
    discussion_page,
    reply_page,
    topic_mentions,
)
from tenant_apps.discussions.services import (
    discussion_create,
    discussion_delete,
    discussion_follow,
    discussion_member_add,
    discussion_member_remove,
    discussion_unfollow,
    discussion_update,
    people_resolve,
    reply_create,
)
from tenant_apps.groups.access import access_group
from tenant_apps.groups.picker import PickerError
from tenant_apps.groups.picker_views import picker_read, picker_state
from tenant_apps.people.models import User
from tenant_apps.people.selectors import person_summary

PAGE = 50
GROUP_SHOWN = 5
MEMBERS_SHOWN = 50


def _empty_picker() -> dict:
    return {"chosen": [], "typed": "", "choices": {}, "errors": []}


def group_discussions_section(request: HttpRequest, group) -> dict:
    """The group's page lists its liveliest topics (one more than shown: "all of them")."""
    return {
        "discussions": list(discussion_list(viewer=request.user, group=group)[: GROUP_SHOWN + 1])
    }


def discussion_list_page(request: HttpRequest) -> HttpResponse:
    group = None
    if request.GET.get("group"):
        group = access_group(request.user, request.GET["group"][:40])
    page, next_after = discussion_page(
        discussion_list(viewer=request.user, group=group),
        after=request.GET.get("after"),
        size=PAGE,
    )
    return render(
        request,
        "discussions/list.html",
        {"group": group, "discussions": page, "next_after": next_after},
    )


def _mentions(request: HttpRequest) -> tuple[list[str], dict]:
    """The mention picker's ids and its state to show again (PickerError propagates)."""
    return picker_read(request, "mentions", kinds=("person",)), picker_state(request, "mentions")


@login_required(login_url="signin")
def discussion_new(request: HttpRequest) -> HttpResponse:
    group_id = (request.POST.get("group") or request.GET.get("group") or "")[:40]
    group = access_group(request.user, group_id) if group_id else None
    form = DiscussionForm(request.POST or None)
    picker = _empty_picker()
    if request.method != "POST":
        return render(
            request, "discussions/new.html", {"form": form, "group": group, "picker": picker}
        )
    picker = picker_state(request, "mentions")
    try:
        mentions = picker_read(request, "mentions", kinds=("person",))
    except PickerError as error:
        picker = picker_state(request, "mentions", error=error)
        form.is_valid()
    else:
        if form.is_valid():
            try:
                discussion = discussion_create(
                    actor=request.user, group=group, mentions=mentions, **form.cleaned_data
                )
            except (ValidationError, PermissionDenied) as error:
                show_error(request, error, form=form)
                picker["errors"] = [*picker["errors"], *form.errors.get("mentions", [])]
            else:
                messages.success(request, _("Your discussion is started."))
                return redirect("discussion-page", public_id=discussion.public_id)
    return render(
        request,
        "discussions/new.html",
        {"form": form, "group": group, "picker": picker},
        status=400,
    )


def discussion_context(request: HttpRequest, discussion: Discussion, **extra) -> dict:
    viewer = request.user
    page, next_after = reply_page(discussion, after=request.GET.get("after"), size=PAGE)
    replying_to = None
    wanted = request.GET.get("reply_to", "")[:40]
    if wanted:
        replying_to = access_reply(discussion, wanted)
    members = []
    if discussion.viewer_can_manage:
        members = [
            (person_summary(viewer, m.user), m.role)
            for m in discussion_members(discussion)[:MEMBERS_SHOWN]
        ]
    context = {
        "discussion": discussion,
        "author": person_summary(viewer, discussion.created_by) if discussion.created_by else None,
        "mentioned": [person_summary(viewer, p) for p in topic_mentions(discussion)],
        "replies": [
            {
                "reply": r,
                "author": person_summary(viewer, r.author) if r.author else None,
                "parent_author": (
                    person_summary(viewer, r.parent.author)
                    if r.parent is not None and r.parent.author is not None
                    else None
                ),
                "mentioned": [person_summary(viewer, m.user) for m in r.mentions.all()],
                "indent": min(r.depth, 6),
            }
            for r in page
        ],
        "next_after": next_after,
        "form": ReplyForm(initial={"parent": replying_to.public_id if replying_to else ""}),
        "replying_to": replying_to,
        "picker": _empty_picker(),
        "members": members,
        "roles": DiscussionRole.choices,
    }
    context.update(extra)
    return context


def discussion_view(request: HttpRequest, public_id: str) -> HttpResponse:
    discussion = access_discussion(request.user, public_id)
    return render(request, "discussions/discussion.html", discussion_context(request, discussion))


@login_required(login_url="signin")
def discussion_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    discussion = access_discussion(request.user, public_id, for_write=True)
    initial = {k: getattr(discussion, k) for k in ("title", "body", "visibility")}
    form = DiscussionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            discussion_update(actor=request.user, discussion=discussion, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error, form=form)
        else:
            messages.success(request, _("The discussion is saved."))
            return redirect("discussion-page", public_id=discussion.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "discussions/edit.html",
        {"form": form, "discussion": discussion},
        status=status,
    )


def _person(request: HttpRequest, field: str) -> User:
    ids = picker_read(request, field, kinds=("person",))
    if len(ids) != 1:
        raise ValidationError(_("Choose one person."))
    return people_resolve(actor=request.user, ids=ids, field=field)[0]


@login_required(login_url="signin")
@require_POST
def discussion_act(request: HttpRequest, public_id: str) -> HttpResponse:
    discussion = access_discussion(request.user, public_id)
    action = request.POST.get("action", "")
    actor = request.user
    back = redirect("discussion-page", public_id=discussion.public_id)
    try:
        if action == "reply":
            form = ReplyForm(request.POST)
            parent_id = request.POST.get("parent", "")[:40]
            parent = access_reply(discussion, parent_id) if parent_id else None
            try:
                mentions = picker_read(request, "mentions", kinds=("person",))
            except PickerError as error:
                picker = picker_state(request, "mentions", error=error)
                form.is_valid()
                return render(
                    request,
                    "discussions/discussion.html",
                    discussion_context(request, discussion, form=form, picker=picker),
                    status=400,
                )
            if not form.is_valid():
                return render(
                    request,
                    "discussions/discussion.html",
                    discussion_context(
                        request, discussion, form=form, picker=picker_state(request, "mentions")
                    ),
                    status=400,
                )
            reply = reply_create(
                actor=actor,
                discussion=discussion,
                body=form.cleaned_data["body"],
                parent=parent,
                mentions=mentions,
            )
            messages.success(request, _("Your reply is posted."))
            return redirect(f"{back.url}#{reply.public_id}")
        if action == "follow":
            discussion_follow(actor=actor, discussion=discussion)
            messages.success(request, _("You follow this discussion."))
        elif action == "unfollow":
            discussion_unfollow(actor=actor, discussion=discussion)
            messages.success(request, _("You no longer follow this discussion."))
        elif action == "delete":
            discussion_delete(actor=actor, discussion=discussion)
            messages.success(request, _("The discussion is deleted."))
            if discussion.group is not None:
                return redirect("group-page", public_id=discussion.group.public_id)
            return redirect("discussion-list")
        elif action == "add-member":
            role = request.POST.get("role", DiscussionRole.MEMBER)
            person = _person(request, "person")
            discussion_member_add(actor=actor, discussion=discussion, person=person, role=role)
            messages.success(request, _("The member is added."))
        elif action == "remove-member":
            ids = people_resolve(
                actor=actor, ids=[request.POST.get("person", "")[:40]], field="person"
            )
            discussion_member_remove(actor=actor, discussion=discussion, person=ids[0])
            messages.success(request, _("The member is removed."))
        else:
            messages.error(request, _("Unknown action."))
    except (ValidationError, PermissionDenied) as error:
        show_error(request, error)
    return back
