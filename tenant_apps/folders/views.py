"""Folder pages: my folders, a new folder, a folder's page and its managers' actions.

Every page and action looks the folder up through ``access_folder`` (404 for a folder the
visitor may not see or change) and calls the same services as the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.errors import show_error
from tenant_apps.activity.selectors import feed_of_folder, summary
from tenant_apps.content.selectors import content_library, person_ref
from tenant_apps.content.services import principals_by_ids
from tenant_apps.folders import services
from tenant_apps.folders.access import access_folder
from tenant_apps.folders.forms import FolderForm, FolderShareForm
from tenant_apps.folders.models import Folder, FolderItem
from tenant_apps.folders.selectors import (
    folder_items_page,
    folder_shares,
    folders_of,
    folders_of_group,
    folders_page,
)
from tenant_apps.groups.picker import PickerError
from tenant_apps.groups.picker_views import picker_read, picker_state

PAGE = 50
ADDABLE_SHOWN = 50  # the viewer's newest library items offered for "add to this folder"
MEMBERS_SHOWN = 200
FEED_SHOWN = 10
GROUP_FOLDERS_SHOWN = 10


@login_required
def my_folders(request: HttpRequest) -> HttpResponse:
    page, next_after = folders_page(
        folders_of(viewer=request.user), after=request.GET.get("after"), size=PAGE
    )
    return render(request, "folders/list.html", {"folders": page, "next_after": next_after})


@login_required
def new_folder(request: HttpRequest) -> HttpResponse:
    form = FolderForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                folder = services.folder_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                show_error(request, error, form=form)
            else:
                messages.success(
                    request, _("Created the folder “%(title)s”.") % {"title": folder.title}
                )
                return redirect("folder", folder.public_id)
    return render(request, "folders/new.html", {"form": form}, status=status)


def folder_page(request: HttpRequest, public_id: str) -> HttpResponse:
    folder = access_folder(request.user, public_id)
    can_manage = bool(folder.viewer_can_manage)
    items, next_after = folder_items_page(
        viewer=request.user, folder=folder, after=request.GET.get("after"), size=PAGE
    )
    entries, _more = feed_of_folder(viewer=request.user, folder=folder, size=FEED_SHOWN)
    context = {
        "folder": folder,
        "can_manage": can_manage,
        "items": items,
        "next_after": next_after,
        "creator": person_ref(request.user, folder.created_by),
        "feed": [{"entry": e, "text": summary(request.user, e)} for e in entries],
    }
    if can_manage:
        # The newest of the viewer's own items, without those already here: a bounded
        # read (never "the whole library minus the whole folder", which grows with both).
        recent = list(content_library(viewer=request.user)[: ADDABLE_SHOWN * 4])
        present = set(
            FolderItem.objects.filter(folder=folder, item__in=recent).values_list(
                "item_id", flat=True
            )
        )
        context.update(
            {
                "addable": [item for item in recent if item.pk not in present][:ADDABLE_SHOWN],
                "members": [
                    {
                        "share": share,
                        "person": person_ref(request.user, share.user) if share.user_id else None,
                    }
                    for share in folder_shares(folder)[:MEMBERS_SHOWN]
                ],
                "share_form": FolderShareForm(),
                "picker": {"chosen": [], "typed": "", "choices": {}, "errors": []},
                "edit_form": FolderForm(
                    initial={
                        "title": folder.title,
                        "description": folder.description,
                        "visibility": folder.visibility,
                    }
                ),
            }
        )
    return render(request, "folders/folder.html", context)


def _act(request: HttpRequest, folder: Folder, action, success: str) -> HttpResponse:
    try:
        action()
    except ValidationError as error:
        show_error(request, error)
    else:
        messages.success(request, success)
    return redirect("folder", folder.public_id)


@login_required
@require_POST
def edit(request: HttpRequest, public_id: str) -> HttpResponse:
    folder = access_folder(request.user, public_id, for_write=True)
    form = FolderForm(request.POST)
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
        return redirect("folder", folder.public_id)
    return _act(
        request,
        folder,
        lambda: services.folder_update(actor=request.user, folder=folder, **form.cleaned_data),
        _("Saved."),
    )


@login_required
@require_POST
def items(request: HttpRequest, public_id: str) -> HttpResponse:
    """Add (``action=add``) or remove (``action=remove``) the checked ``items``."""
    folder = access_folder(request.user, public_id, for_write=True)
    ids = [value[:40] for value in request.POST.getlist("items")][: services.MAX_BULK + 1]
    action = request.POST.get("action")
    if action == "add":
        return _act(
            request,
            folder,
            lambda: services.folder_items_add(actor=request.user, folder=folder, item_ids=ids),
            _("Added to the folder."),
        )
    if action == "remove":
        return _act(
            request,
            folder,
            lambda: services.folder_items_remove(actor=request.user, folder=folder, item_ids=ids),
            _("Removed from the folder."),
        )
    raise Http404(_("No such action."))


@login_required
def share(request: HttpRequest, public_id: str) -> HttpResponse:
    """The share form (GET, and again with errors) and sharing (POST)."""
    folder = access_folder(request.user, public_id, for_write=True)
    form = FolderShareForm(request.POST or None)
    picker = picker_state(request, "principals")
    status = 200
    if request.method == "POST":
        status = 400
        try:
            ids = picker_read(request, "principals")
            if not ids:
                raise PickerError([_("Choose at least one person or group.")], {})
        except PickerError as error:
            picker = picker_state(request, "principals", error=error)
        else:
            if form.is_valid():
                return _act(
                    request,
                    folder,
                    lambda: services.folder_share(
                        actor=request.user,
                        folder=folder,
                        principals=principals_by_ids(ids, visible_to=request.user),
                        role=form.cleaned_data["role"],
                    ),
                    _("Shared."),
                )
    return render(
        request,
        "folders/share.html",
        {"folder": folder, "form": form, "picker": picker},
        status=status,
    )


@login_required
@require_POST
def unshare(request: HttpRequest, public_id: str) -> HttpResponse:
    folder = access_folder(request.user, public_id)
    principal_id = request.POST.get("principal", "")[:40]

    def act() -> None:
        principal = principals_by_ids([principal_id])[0]
        services.folder_unshare(actor=request.user, folder=folder, principal=principal)

    return _act(request, folder, act, _("Removed."))


def group_folders_section(request: HttpRequest, group) -> dict:
    """The group's page lists the folders in its library (one more than shown: "more")."""
    return {
        "group_folders": list(
            folders_of_group(viewer=request.user, group=group)[: GROUP_FOLDERS_SHOWN + 1]
        )
    }
