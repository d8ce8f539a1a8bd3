"""Trash pages: what a person may restore, restoring, and the confirmation before deleting.

Deleting an item, a folder or a group from its page leads here first
(``/trash/delete/<id>``): the page says what will go, and the button moves it to the trash
through the thing's own delete service.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenant_apps.trash.selectors import trash_days, trash_page, trash_preview
from tenant_apps.trash.services import trash_move, trash_restore, trash_target

PAGE = 50


@login_required
def trash(request: HttpRequest) -> HttpResponse:
    entries, next_cursor = trash_page(
        viewer=request.user, cursor=request.GET.get("cursor"), size=PAGE
    )
    return render(
        request,
        "trash/trash.html",
        {"entries": entries, "next_cursor": next_cursor, "days": trash_days()},
    )


@login_required
@require_POST
def restore(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = trash_restore(actor=request.user, public_id=public_id[:40])
    messages.success(request, _("Restored “%(title)s”.") % {"title": obj.title})
    return redirect("trash")


def _back(public_id: str) -> str:
    if public_id.startswith("c_"):
        return "content-library"
    if public_id.startswith("f_"):
        return "folders"
    return "group-list"


@login_required
def delete(request: HttpRequest, public_id: str) -> HttpResponse:
    """GET: what moving the item, folder or group to the trash takes away; POST: move it."""
    obj = trash_target(request.user, public_id[:40])
    if request.method == "POST":
        trash_move(actor=request.user, obj=obj)
        messages.success(
            request,
            _("Moved “%(title)s” to the trash. You can restore it from there.")
            % {"title": obj.title},
        )
        return redirect(_back(obj.public_id))
    return render(request, "trash/delete.html", {"obj": obj, "lines": trash_preview(obj)})
