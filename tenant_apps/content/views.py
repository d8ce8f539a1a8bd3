"""Library pages: my library, shared with me, adding items, an item's page and its actions.

Every page and action looks the item up through ``access_content`` (404 for items the
visitor may not see or change) and calls the same services as the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from config.errors import show_error
from shared_apps.site.templatetags.ui import UnboundForm
from tenant_apps.blobs.downloads import serve_blob
from tenant_apps.blobs.storage import BlobWriteError
from tenant_apps.content import services
from tenant_apps.content.access import access_content
from tenant_apps.content.forms import (
    CommentForm,
    DocumentForm,
    EditForm,
    LinkForm,
    ShareForm,
    UploadForm,
    VersionForm,
)
from tenant_apps.content.models import ContentItem, Kind, Share, ShareRole
from tenant_apps.content.permissions import content_visible_to
from tenant_apps.content.selectors import (
    comment_of,
    comments_shown,
    content_by,
    content_library,
    content_of_group,
    content_shared_with,
    items_page,
    link_preview_of,
    person_ref,
    person_ref_of_columns,
    preview_page_of,
    preview_pages_of,
    share_of,
    sharers_for,
    shares_shown,
    version_of,
    versions_shown,
    without_bodies,
)
from tenant_apps.groups.access import access_group
from tenant_apps.groups.picker import PickerError
from tenant_apps.groups.picker_views import picker_read, picker_state
from tenant_apps.groups.selectors import group_admits, viewer_state
from tenant_apps.institution.confirm import confirm_page, is_confirmed
from tenant_apps.people.access import access_person
from tenant_apps.people.models import User, Visibility
from tenant_apps.people.selectors import profile_for, summary_rule

PAGE = 50
PAGES_SHOWN = 10  # page images of a document per screen (lazily loaded; ?pages=N for more)


def _item(
    request: HttpRequest, public_id: str, *, for_write: bool = False, for_edit: bool = False
) -> ContentItem:
    return access_content(request.user, public_id, for_write=for_write, for_edit=for_edit)


def _list(request: HttpRequest, *, shared: bool) -> HttpResponse:
    tag = request.GET.get("tag", "").strip()[:50]
    selector = content_shared_with if shared else content_library
    items = without_bodies(selector(viewer=request.user, tag=tag))
    if not shared:
        # "Shared" or "Only you" for private items, in the same query.
        # (The creator's own manager share does not count as sharing.)
        others = Share.objects.filter(item=OuterRef("pk")).exclude(user=OuterRef("created_by"))
        items = items.annotate(is_shared=Exists(others))
    page, next_after = items_page(items, after=request.GET.get("after"), size=PAGE)
    if shared:
        # "Shared by": who shared each item with the viewer, in one more query.
        sharers = sharers_for(request.user, [item.pk for item in page])
        for item in page:
            item.sharer = person_ref(request.user, sharers.get(item.pk))
    return render(
        request,
        "content/library.html",
        {"items": page, "next_after": next_after, "tag": tag, "shared": shared},
    )


def person_library(request: HttpRequest, public_id: str) -> HttpResponse:
    """A profile's Library tab: what the person added that the viewer may see."""
    person = access_person(request.user, public_id)
    page, next_after = items_page(
        without_bodies(content_by(viewer=request.user, person=person)),
        after=request.GET.get("after"),
        size=PAGE,
    )
    return render(
        request,
        "content/person_library.html",
        {"profile": profile_for(request.user, person), "items": page, "next_after": next_after},
    )


@login_required
def library(request: HttpRequest) -> HttpResponse:
    return _list(request, shared=False)


@login_required
def shared_with_me(request: HttpRequest) -> HttpResponse:
    return _list(request, shared=True)


FORMS = {"file": UploadForm, "link": LinkForm, "document": DocumentForm}


@login_required
def new_item(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or request.POST.get("kind") or "file"
    form_class = FORMS.get(kind)
    if form_class is None:
        raise Http404(_("No such kind of item."))
    form = form_class(request.POST or None, request.FILES or None)
    # An upload into a group's library (its page's no-JavaScript way to add one file).
    group_id = (request.GET.get("group") or request.POST.get("group") or "")[:40]
    group = access_group(request.user, group_id) if group_id and kind == Kind.FILE else None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            common = {
                "actor": request.user,
                "title": data.get("title", ""),
                "description": data.get("description", ""),
                "tags": data.get("tags", ""),
                "visibility": data["visibility"],
            }
            try:
                if kind == Kind.LINK:
                    item = services.content_add_link(url=data["url"], **common)
                elif kind == Kind.DOCUMENT:
                    item = services.content_create_document(body=data.get("body", ""), **common)
                else:
                    upload = data["file"]
                    item = services.content_upload_file(
                        source=upload, filename=upload.name, group=group, **common
                    )
            except ValidationError as error:
                show_error(request, error, form=form)
            except BlobWriteError as error:
                show_error(request, error, form=form)
                status = error.status
            else:
                messages.success(request, _("Added “%(title)s”.") % {"title": item.title})
                return redirect("content-item", item.public_id)
    return render(
        request, "content/new.html", {"form": form, "kind": kind, "group": group}, status=status
    )


SHARES_SHOWN = 200


def audience(request: HttpRequest, item: ContentItem, shares: list[dict]) -> str:
    """Who may see the item, in words: "Everyone", "Shared with Bob Baker and 1 group"...

    Names follow the viewer's view of each person; a private item shared with no one is
    "Only you" to its creator (and "Private" to an admin looking at it).
    """
    if item.visibility == Visibility.PUBLIC:
        base = _("Everyone, including people not signed in")
    elif item.visibility == Visibility.LOGGEDIN:
        base = _("Everyone signed in at the institution")
    elif shares:
        base = ""
    else:
        mine = request.user.is_authenticated and item.created_by_id == request.user.pk
        return _("Only you") if mine else _("Private")
    if not shares:
        return base
    names = []
    people = [s for s in shares if s["user_id"]]
    groups = [s for s in shares if s["group_id"]]
    for share in people[:2]:
        if share["user_id"] == request.user.pk:
            names.append(_("you"))
        else:
            names.append(
                person_ref_of_columns(request.user, share, "user")["display_name"] or _("a person")
            )
    others = len(people) - len(names)
    if others:
        names.append(
            ngettext("%(count)d other person", "%(count)d other people", others) % {"count": others}
        )
    if groups:
        count = len(groups)
        # A group is named only to the item's managers (a private group's title is not
        # for every viewer of the item); others read "1 group".
        named = count == 1 and item.viewer_can_manage
        names.append(
            groups[0]["group__title"]
            if named
            else ngettext("%(count)d group", "%(count)d groups", count) % {"count": count}
        )
    listed = (
        names[0]
        if len(names) == 1
        else _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}
    )
    if base:
        return _("%(base)s; also shared with %(names)s") % {"base": base, "names": listed}
    return _("Shared with %(names)s") % {"names": listed}


def duration_text(seconds: float | None) -> str:
    """A media length as a clock reads it: "0:07", "4:05", "1:02:03"; "" when unknown."""
    if seconds is None:
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _shared_with_you_by(viewer, item: ContentItem) -> dict | None:
    """``{"person": ...}`` when ``item`` is shared with ``viewer`` by someone else (person
    None when the sharer is not known), else None."""
    if not getattr(viewer, "is_authenticated", False) or item.created_by_id == viewer.pk:
        return None
    sharers = sharers_for(viewer, [item.pk])
    if item.pk not in sharers:
        return None
    sharer = sharers[item.pk]
    if sharer is not None and sharer.pk == viewer.pk:
        return None
    return {"person": person_ref(viewer, sharer)}


_SLOT = "__comment__"


def _comment_rows(request: HttpRequest, item: ContentItem, comments: list, *, can_manage: bool):
    """What each comment's row shows, worked out once here (its author as the viewer may see
    them, its reply anchor, its edit and delete addresses from one reverse() each) rather
    than by three ``{% url %}`` and several lookups a comment in the template."""
    someone = _("Someone")
    edit_url = reverse("content-comment-edit", args=[item.public_id, _SLOT])
    delete_url = reverse("content-comment-delete", args=[item.public_id, _SLOT])
    viewer = request.user
    viewer_pk = viewer.pk
    summary = summary_rule(viewer)
    rows = []
    for comment in comments:  # rows of COMMENT_VALUES
        author = (
            summary(
                pk=comment["author__id"],
                public_id=comment["author__public_id"],
                display_name=comment["author__display_name"],
                display_name_visibility=comment["author__display_name_visibility"],
            )
            if comment["author_id"] is not None
            else None
        )
        public_id = comment["public_id"]
        may_change = can_manage or comment["author_id"] == viewer_pk
        rows.append(
            {
                "id": public_id,
                "name": (author or {}).get("display_name") or someone,
                "parent": comment["parent__public_id"] or "",
                "created": comment["created"],
                "body_html": comment["body_html"],
                "may_change": may_change,
                "edit_url": edit_url.replace(_SLOT, public_id) if may_change else "",
                "delete_url": delete_url.replace(_SLOT, public_id) if may_change else "",
            }
        )
    return rows


_ROLE_LABELS = dict(ShareRole.choices)


def _share_rows(request: HttpRequest, shares: list[dict]) -> list[dict]:
    """The managers' list of shares (rows of ``SHARE_VALUES``): each person as the viewer
    may see them (or the group), the role's label, and who shared it."""
    viewer = request.user
    rule = summary_rule(viewer)
    return [
        {
            "is_person": bool(share["user_id"]),
            "person": person_ref_of_columns(viewer, share, "user", rule)
            if share["user_id"]
            else None,
            "group_title": "" if share["user_id"] else share["group__title"],
            "principal": share["user__public_id"]
            if share["user_id"]
            else share["group__public_id"],
            "role": str(_ROLE_LABELS.get(share["role"], share["role"])),
            "shared": share["shared"],
            "sharer": person_ref_of_columns(viewer, share, "shared_by", rule),
        }
        for share in shares
    ]


def _version_rows(item: ContentItem) -> list[dict]:
    """The versions table's rows as values (what the template reads of each version), so
    that the table is remembered by them ({% remember %})."""
    return [
        {
            "pk": version["id"],
            "number": version["number"],
            "public_id": version["public_id"],
            "filename": version["filename"],
            "size": version["size"],
            "created": version["created"],
        }
        for version in versions_shown(item, 100)
    ]


def item_page(request: HttpRequest, public_id: str) -> HttpResponse:
    item = _item(request, public_id)
    can_manage = bool(item.viewer_can_manage)
    comments = comments_shown(item, 500)
    # The creator's own manager share is how they manage it, not sharing with anyone.
    shares = [
        share
        for share in shares_shown(item, SHARES_SHOWN + 1)
        if not (share["user_id"] and share["user_id"] == item.created_by_id)
    ][:SHARES_SHOWN]
    version = item.current_version if item.kind == Kind.FILE else None
    shows_versions = item.kind == Kind.FILE and bool(item.viewer_can_edit)
    pages, pages_from, pages_next = [], 1, None
    if version is not None and version.pages_rendered:
        try:
            pages_from = min(max(int(request.GET.get("pages", "1")), 1), version.pages_rendered)
        except ValueError:
            pages_from = 1
        pages = list(preview_pages_of(version).filter(number__gte=pages_from)[: PAGES_SHOWN + 1])
        if len(pages) > PAGES_SHOWN:
            pages_next = pages.pop().number
    context = {
        "item": item,
        "pages": pages,
        "pages_from": pages_from,
        "pages_next": pages_next,
        "duration": duration_text(version.media_duration) if version else "",
        "link_preview": link_preview_of(item) if item.kind == Kind.LINK else None,
        "can_manage": can_manage,
        "can_edit": bool(item.viewer_can_edit),
        "audience": audience(request, item, shares),
        "last_shared": shares[0]["shared"] if shares else None,
        # Who shared it with the viewer (None when it is not shared with them).
        "shared_with_you_by": _shared_with_you_by(request.user, item),
        "creator": person_ref(request.user, item.created_by),
        # Versions and the managers' forms only for those who see those sections.
        "versions": _version_rows(item) if shows_versions else [],
        "shares": _share_rows(request, shares) if can_manage else [],
        "unshare_url": reverse("content-unshare", args=[item.public_id]),
        "comments": _comment_rows(request, item, comments, can_manage=can_manage),
        "comment_url": reverse("content-comment", args=[item.public_id]),
        "signed_in": request.user.is_authenticated,
        # Forms built only when their fields are not remembered ({% unbound_form %}).
        "comment_form": UnboundForm(CommentForm),
        "share_form": UnboundForm(ShareForm) if can_manage else None,
        "picker": {"chosen": [], "typed": "", "choices": {}, "errors": []},
        "version_form": UnboundForm(VersionForm) if shows_versions else None,
        "edit_form": UnboundForm(
            EditForm,
            {
                "title": item.title,
                "description": item.description,
                "tags": ", ".join(item.tags),
                "visibility": item.visibility,
            },
        )
        if can_manage
        else None,
    }
    return render(request, "content/item.html", context)


def download(request: HttpRequest, public_id: str) -> HttpResponse:
    item = _item(request, public_id)
    wanted = request.GET.get("version")
    version = version_of(item, wanted) if wanted else item.current_version
    if version is None:
        raise Http404(_("No such version."))
    return serve_blob(request, blob=version.blob, filename=version.filename, mime=version.mime_type)


def preview(request: HttpRequest, public_id: str) -> HttpResponse:
    item = _item(request, public_id)
    version = item.current_version
    if version is None or version.preview_blob_id is None:
        raise Http404(_("No preview."))
    return serve_blob(
        request, blob=version.preview_blob, filename=f"{version.filename}.png", mime="image/png"
    )


def preview_page(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    """One page image of the current version (a PDF's or an Office document's page)."""
    item = _item(request, public_id)
    page = preview_page_of(item.current_version, number) if item.current_version else None
    if page is None:
        raise Http404(_("No such page."))
    return serve_blob(request, blob=page.blob, filename=f"page-{number}.png", mime="image/png")


def link_image(request: HttpRequest, public_id: str) -> HttpResponse:
    """A link's picture (from its page's OpenGraph or oEmbed), as a PNG thumbnail."""
    item = _item(request, public_id)
    found = link_preview_of(item) if item.kind == Kind.LINK else None
    if found is None or found.image_blob_id is None:
        raise Http404(_("No picture."))
    return serve_blob(request, blob=found.image_blob, filename="link.png", mime="image/png")


def _act(request: HttpRequest, item: ContentItem, action, success: str) -> HttpResponse:
    try:
        action()
    except (ValidationError, BlobWriteError) as error:
        show_error(request, error)
    else:
        messages.success(request, success)
    return redirect("content-item", item.public_id)


@login_required
@require_POST
def edit(request: HttpRequest, public_id: str) -> HttpResponse:
    item = _item(request, public_id, for_edit=True)
    form = EditForm(request.POST)
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
        return redirect("content-item", item.public_id)
    data = form.cleaned_data
    return _act(
        request,
        item,
        lambda: services.content_update(actor=request.user, item=item, **data),
        "Saved.",
    )


@login_required
@require_POST
def delete(request: HttpRequest, public_id: str) -> HttpResponse:
    item = _item(request, public_id, for_write=True)
    services.content_delete(actor=request.user, item=item)
    messages.success(request, _("Deleted “%(title)s”.") % {"title": item.title})
    return redirect("content-library")


@login_required
@require_POST
def add_version(request: HttpRequest, public_id: str) -> HttpResponse:
    item = _item(request, public_id, for_edit=True)
    form = VersionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
        return redirect("content-item", item.public_id)
    upload = form.cleaned_data["file"]
    return _act(
        request,
        item,
        lambda: services.content_version_add(
            actor=request.user, item=item, source=upload, filename=upload.name
        ),
        _("Uploaded a new version."),
    )


@login_required
@require_POST
def restore_version(request: HttpRequest, public_id: str, version_id: str) -> HttpResponse:
    item = _item(request, public_id, for_edit=True)
    version = version_of(item, version_id)
    if version is None:
        raise Http404(_("No such version."))
    return _act(
        request,
        item,
        lambda: services.content_version_restore(actor=request.user, item=item, version=version),
        f"Version {version.number} is current again.",
    )


@login_required
def share(request: HttpRequest, public_id: str) -> HttpResponse:
    """The share form (GET) and sharing (POST): people and groups picked by name."""
    item = _item(request, public_id, for_write=True)
    form = ShareForm(request.POST or None)
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
                    item,
                    lambda: services.content_share(
                        actor=request.user,
                        item=item,
                        principals=services.principals_by_ids(ids, visible_to=request.user),
                        role=form.cleaned_data["role"],
                    ),
                    "Shared.",
                )
    return render(
        request,
        "content/share.html",
        {"item": item, "form": form, "picker": picker},
        status=status,
    )


@login_required
@require_POST
def unshare(request: HttpRequest, public_id: str) -> HttpResponse:
    item = _item(request, public_id)
    principal_id = request.POST.get("principal", "")[:40]
    if not is_confirmed(request) and item.viewer_can_manage:
        asked = _unshare_confirmation(request, item, principal_id)
        if asked is not None:
            return asked
    return _act(
        request,
        item,
        lambda: services.content_unshare(
            actor=request.user,
            item=item,
            principal=services.principals_by_ids([principal_id])[0],
        ),
        _("Removed the share."),
    )


def _unshare_confirmation(
    request: HttpRequest, item: ContentItem, principal_id: str
) -> HttpResponse | None:
    """The step before stopping a share that exists (its holder is already named in the
    managers' list); None when there is no such share or it is the manager's own (the
    service then says why, or acts), so nothing is asked that would then be refused."""
    try:
        principal = services.principals_by_ids([principal_id])[0]
    except ValidationError:
        return None
    if principal == request.user or share_of(item, principal) is None:
        return None
    if isinstance(principal, User):
        name = person_ref(request.user, principal)["display_name"] or _(
            "a member of the institution"
        )
    else:
        name = principal.title
    return confirm_page(
        request,
        title=_("Stop sharing with %(name)s?") % {"name": name},
        explanation=_(
            "They will no longer see “%(title)s” through this share (they still may if it "
            "reaches them another way: a group, or who the item is visible to). You can share "
            "it again at any time."
        )
        % {"title": item.title},
        button=_("Stop sharing"),
        fields=[("principal", principal_id)],
        cancel=reverse("content-item", args=[item.public_id]) + "#sharing",
    )


@login_required
@require_POST
def comment(request: HttpRequest, public_id: str) -> HttpResponse:
    item = _item(request, public_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write something to comment."))
        return redirect("content-item", item.public_id)
    parent = None
    if form.cleaned_data.get("parent"):
        parent = comment_of(item, form.cleaned_data["parent"])
        if parent is None:
            raise Http404(_("No such comment."))
    return _act(
        request,
        item,
        lambda: services.comment_create(
            actor=request.user, item=item, body=form.cleaned_data["body"], parent=parent
        ),
        _("Comment added."),
    )


def _comment(request: HttpRequest, public_id: str, comment_id: str):
    item = _item(request, public_id)
    found = comment_of(item, comment_id)
    if found is None:
        raise Http404(_("No such comment."))
    return item, found


@login_required
@require_POST
def comment_edit(request: HttpRequest, public_id: str, comment_id: str) -> HttpResponse:
    item, found = _comment(request, public_id, comment_id)
    body = request.POST.get("body", "")
    return _act(
        request,
        item,
        lambda: services.comment_update(actor=request.user, comment=found, body=body),
        _("Comment saved."),
    )


@login_required
@require_POST
def comment_delete(request: HttpRequest, public_id: str, comment_id: str) -> HttpResponse:
    item, found = _comment(request, public_id, comment_id)
    return _act(
        request,
        item,
        lambda: services.comment_delete(actor=request.user, comment=found),
        _("Comment deleted."),
    )


# --- a group's library (/groups/<id>/library; a section of the group's page) -------------
LIBRARY_SHOWN = 5  # the newest items on the group's page; the library page has the rest
SHAREABLE_SHOWN = 50  # the viewer's newest items offered for "share with this group"


def group_library_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """Items shared with the group that the visitor may see, newest first, by keyset;
    members may share one of their own items with the group from here."""
    group = access_group(request.user, public_id)
    tag = request.GET.get("tag", "").strip()[:50]
    page, next_after = items_page(
        without_bodies(content_of_group(viewer=request.user, group=group, tag=tag)),
        after=request.GET.get("after"),
        size=PAGE,
    )
    standing = viewer_state(group, request.user)
    shareable = []
    if standing["role"]:
        shareable = list(
            content_library(viewer=request.user).filter(viewer_can_manage=True)[:SHAREABLE_SHOWN]
        )
    return render(
        request,
        "content/group_library.html",
        {
            "group": group,
            "items": page,
            "next_after": next_after,
            "tag": tag,
            "standing": standing,
            "shareable": shareable,
            "may_upload": request.user.is_authenticated
            and group_admits(request.user, group, group.library_policy),
        },
    )


def group_library_section(request: HttpRequest, group) -> dict:
    """The group's page shows its newest items (one more than shown: "the whole library")."""
    return {
        "library": list(
            without_bodies(content_of_group(viewer=request.user, group=group))[: LIBRARY_SHOWN + 1]
        )
    }


def group_share_item(request: HttpRequest, group) -> HttpResponse:
    """The group's "share-item" action: share one of the actor's items with the group
    through the library's own service; back to the group's library either way."""
    role = request.POST.get("role", "")
    try:
        if role not in ShareRole.values:
            raise ValidationError(_("Choose viewer or manager."))
        item = (
            content_visible_to(request.user)
            .filter(public_id=request.POST.get("item", "")[:40], viewer_can_manage=True)
            .first()
        )
        if item is None:
            raise ValidationError(_("You can share only items you manage."))
        services.content_share(actor=request.user, item=item, principals=[group], role=role)
    except ValidationError as error:
        show_error(request, error)
    else:
        messages.success(
            request, _("“%(title)s” is shared with the group.") % {"title": item.title}
        )
    return redirect("group-library", public_id=group.public_id)
