"""Document pages: the live editor, revisions (list, one, compare, restore, name), the
no-JavaScript writing form (optimistic concurrency) and exports.

Every page looks the document up through ``access_document`` (404 for items the visitor
may not see or change) and calls the same services as the API.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from config.errors import show_error
from tenant_apps.authoring import services
from tenant_apps.authoring.access import access_document, access_revision
from tenant_apps.authoring.exports import export_html, export_pdf
from tenant_apps.authoring.selectors import (
    latest_revision,
    revisions_diff,
    revisions_page,
)
from tenant_apps.content.models import ContentItem
from tenant_apps.content.selectors import content_library, person_ref

PAGE = 50
IMAGES_SHOWN = 50


class WriteForm(forms.Form):
    body = forms.CharField(
        label=_("Text (HTML)"),
        widget=forms.Textarea(attrs={"rows": 20}),
        required=False,
        max_length=2_000_000,
        help_text=_(
            "Headings, lists, links, tables, code and quotes are kept; the rest is removed."
        ),
    )
    base = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    name = forms.CharField(label=_("Name this revision (optional)"), required=False, max_length=200)


def _ensure(item: ContentItem) -> None:
    services.document_prepare(item=item)


@login_required
def editor(request: HttpRequest, public_id: str) -> HttpResponse:
    """The live editor (viewers watch it read-only)."""
    item = access_document(request.user, public_id)
    _ensure(item)
    images = []
    if item.viewer_can_edit:
        images = [
            {"id": public_id, "title": title}
            for public_id, title in content_library(viewer=request.user)
            .filter(current_version__mime_type__startswith="image/")
            .values_list("public_id", "title")[:IMAGES_SHOWN]
        ]
    latest = latest_revision(item)
    return render(
        request,
        "authoring/editor.html",
        {
            "item": item,
            "can_edit": bool(item.viewer_can_edit),
            "images": images,
            "latest": latest,
            "live_port": settings.LIVE_URL_PORT,
        },
    )


def _revision_rows(request: HttpRequest, revisions) -> list[dict]:
    return [
        {
            "revision": r,
            "created_by": person_ref(request.user, r.created_by),
            "authors": [person_ref(request.user, a) for a in r.authors.all()],
        }
        for r in revisions
    ]


def revisions(request: HttpRequest, public_id: str) -> HttpResponse:
    item = access_document(request.user, public_id)
    _ensure(item)
    page, next_after = revisions_page(item, after=request.GET.get("after"), size=PAGE)
    return render(
        request,
        "authoring/revisions.html",
        {
            "item": item,
            "rows": _revision_rows(request, page),
            "next_after": next_after,
            "can_edit": bool(item.viewer_can_edit),
        },
    )


def revision(request: HttpRequest, public_id: str, revision_id: str) -> HttpResponse:
    item = access_document(request.user, public_id)
    shown = access_revision(request.user, item, revision_id)
    return render(
        request,
        "authoring/revision.html",
        {"item": item, "revision": shown, "can_edit": bool(item.viewer_can_edit)},
    )


def compare(request: HttpRequest, public_id: str) -> HttpResponse:
    item = access_document(request.user, public_id)
    old = access_revision(request.user, item, request.GET.get("from", "")[:40])
    new = access_revision(request.user, item, request.GET.get("to", "")[:40])
    if old.number > new.number:
        old, new = new, old
    return render(
        request,
        "authoring/compare.html",
        {"item": item, "old": old, "new": new, "diff": revisions_diff(old, new)},
    )


@login_required
@require_POST
def restore(request: HttpRequest, public_id: str, revision_id: str) -> HttpResponse:
    item = access_document(request.user, public_id, for_edit=True)
    chosen = access_revision(request.user, item, revision_id)
    restored = services.revision_restore(actor=request.user, item=item, revision=chosen)
    messages.success(
        request,
        _("Revision %(number)s restored as revision %(number2)s.")
        % {"number": chosen.number, "number2": restored.number},
    )
    return redirect("document-revisions", item.public_id)


@login_required
@require_POST
def name_revision(request: HttpRequest, public_id: str) -> HttpResponse:
    item = access_document(request.user, public_id, for_edit=True)
    try:
        taken = services.revision_take(
            item=item,
            actor=request.user,
            name=request.POST.get("name", "")[:300] or str(_("Saved version")),
        )
    except ValidationError as error:
        show_error(request, error)
    else:
        messages.success(request, _("Saved as revision %(number)s.") % {"number": taken.number})
    return redirect("document-revisions", item.public_id)


@login_required
def write(request: HttpRequest, public_id: str) -> HttpResponse:
    """Write the whole text without JavaScript; a stale base answers 409 with both versions."""
    item = access_document(request.user, public_id, for_edit=True)
    _ensure(item)
    latest = latest_revision(item)
    if request.method != "POST":
        form = WriteForm(
            initial={"body": item.body_html, "base": latest.public_id if latest else ""}
        )
        return render(request, "authoring/write.html", {"item": item, "form": form})
    form = WriteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            written = services.revision_write(
                actor=request.user,
                item=item,
                html=data["body"],
                base=data["base"] or None,
                name=data["name"],
            )
        except services.RevisionConflict as conflict:
            fresh = WriteForm(
                initial={
                    "body": data["body"],
                    "base": conflict.current.public_id if conflict.current else "",
                    "name": data["name"],
                }
            )
            context = {"item": item, "form": fresh, "conflict": conflict}
            return render(request, "authoring/write.html", context, status=409)
        except ValidationError as error:
            show_error(request, error, form=form)
        else:
            messages.success(
                request, _("Saved as revision %(number)s.") % {"number": written.number}
            )
            return redirect("content-item", item.public_id)
    return render(request, "authoring/write.html", {"item": item, "form": form}, status=400)


def _attachment(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def export(request: HttpRequest, public_id: str, fmt: str) -> HttpResponse:
    if fmt not in ("html", "pdf"):
        raise Http404(_("No such format."))
    item = access_document(request.user, public_id)
    name = slugify(item.title)[:80] or "document"
    if fmt == "pdf":
        body = export_pdf(title=item.title, html=item.body_html)
        return _attachment(body, content_type="application/pdf", filename=f"{name}.pdf")
    body = export_html(title=item.title, html=item.body_html)
    return _attachment(body, content_type="text/html; charset=utf-8", filename=f"{name}.html")
