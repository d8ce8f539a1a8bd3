"""Writes of the content library: one function per action, used by the UI, the API and commands.

Uploads follow the blob store's order (tenant_apps.blobs.services): the bytes are
staged and hashed, the object is written and checked, and only then do the rows
that refer to it commit, in one transaction. Side effects (usage counters, previews
and text extraction) are queued after the commit.
"""

from __future__ import annotations

import re
from typing import IO

import magic
import nh3
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import Max, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from config.live import document_channel_group, publish
from config.outbound import OutboundRefused, check_url
from shared_apps.audit.services import Actor
from tenant_apps.activity.services import (
    activities_held_for_delete,
    activity_access_changed,
    activity_record,
)
from tenant_apps.blobs.services import (
    Staged,
    blob_acquire,
    blob_put,
    blob_reference,
    blob_release,
    blob_staged,
)
from tenant_apps.blobs.tenancy import current_tenant
from tenant_apps.content.models import (
    Comment,
    ContentItem,
    ContentVersion,
    Kind,
    LibrarySettings,
    LinkPreview,
    PreviewPage,
    Processing,
    Share,
    ShareRole,
)
from tenant_apps.content.permissions import can_edit, can_manage
from tenant_apps.groups.models import Group
from tenant_apps.groups.selectors import AUDIENCE_WORDS, group_admits, groups_visible_to
from tenant_apps.people.models import User, Visibility
from tenants.usage import quota_check_storage, usage_add

MAX_TAGS = 20
TAG_PATTERN = re.compile(r"^[\w][\w .+#-]{0,49}$")
COMMENT_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "a",
    "code",
    "pre",
    "blockquote",
}
DOCUMENT_TAGS = COMMENT_TAGS | {
    "h1",
    "h2",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "span",
    "sub",
    "sup",
    "img",
    "s",
    "u",
    "h5",
    "h6",
}
LINK_RELS = "noopener noreferrer nofollow ugc"


class NotAllowed(Http404):
    """The actor may see the item but not do this to it.

    An ``Http404``, so that every edge answers it like a missing item without catching it
    (the API's problem handler, Django's 404 page); it is not a ValidationError, so a
    caller showing input errors never has to catch it first.
    """


def _require_manager(actor: User, item: ContentItem) -> None:
    if not can_manage(actor, item):
        raise NotAllowed(gettext("You may not change this item."))


def _live_access_changed(item: ContentItem) -> None:
    """After the commit, tell a document's live editors to check their rights again
    (a share removed or lowered, the item made private or deleted closes their socket)."""
    if item.kind != Kind.DOCUMENT:
        return
    schema, item_id = connection.schema_name, item.pk
    transaction.on_commit(
        lambda: publish([document_channel_group(schema, item_id)], {"type": "doc.access"}),
        robust=True,
    )


def _require_editor(actor: User, item: ContentItem) -> None:
    if not can_edit(actor, item):
        raise NotAllowed(gettext("You may not change this item."))


# --- input cleaning -------------------------------------------------------------
def clean_tags(tags: list[str] | str | None) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = [tags]
    cleaned: list[str] = []
    for raw in (part for tag in tags for part in str(tag).split(",")):
        tag = " ".join(str(raw).split()).lower()
        if not tag:
            continue
        if not TAG_PATTERN.match(tag):
            raise ValidationError(
                {
                    "tags": gettext(
                        "'%(tag)s' is not a tag: letters, digits, spaces, .+#- up to 50."
                    )
                    % {"tag": tag[:60]}
                }
            )
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(
            {"tags": gettext("At most %(max_tags)s tags.") % {"max_tags": MAX_TAGS}}
        )
    return cleaned


def sanitise_html(html: str, *, tags: set[str]) -> str:
    return nh3.clean(
        html,
        tags=tags,
        attributes={"a": {"href", "title"}, "td": {"colspan"}, "th": {"colspan"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_RELS,
    )


# An image in a document is a reference to an item of the library, shown through its
# download (or preview) address on this host: never another site's address (no tracking
# pixels, no mixed content), and each reader's own rights decide whether it shows.
LIBRARY_IMAGE = re.compile(r"^/content/c_[A-Za-z0-9_-]{1,40}/(download|preview)$")


def _document_attribute(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src":
        return value if LIBRARY_IMAGE.match(value) else None
    if attribute in ("colspan", "rowspan"):
        return value if value.isdigit() and 0 < int(value) <= 50 else None
    if element == "ol" and attribute == "start":
        return value if value.isdigit() and len(value) < 7 else None
    return value


def sanitise_document(html: str) -> str:
    """A document's HTML as stored and shown: nh3 keeps headings, lists, links, tables,
    code, quotes and library images (by their address on this host); scripts, event
    handlers, styles and ``javascript:`` links are removed."""
    return nh3.clean(
        html,
        tags=DOCUMENT_TAGS,
        attributes={
            "a": {"href", "title"},
            "td": {"colspan", "rowspan"},
            "th": {"colspan", "rowspan"},
            "img": {"src", "alt", "title"},
            "ol": {"start"},
        },
        attribute_filter=_document_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_RELS,
    )


def clean_url(url: str) -> str:
    """An http(s) address with a public host; never fetched by the server.

    Internal addresses (loopback, private and link-local ranges, bare host names,
    names like ``metadata.google.internal.`` or ``127.0.0.1.nip.io``) are refused by
    the outbound guard, so that nothing later that follows links (previews,
    crawlers) is pointed inward. Not resolved: a link is only followed by browsers.
    """
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            {"url": gettext("Enter a full http:// or https:// address.")}
        ) from None
    try:
        check_url(url, resolve=False, use_allow_list=False)
    except OutboundRefused:
        raise ValidationError(
            {"url": gettext("Links to internal addresses are not allowed.")}
        ) from None
    return url


def clean_filename(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    return name[:255] or "file"


def upload_limit() -> int:
    own = (
        LibrarySettings.objects.filter(pk=LibrarySettings.SINGLETON_PK)
        .values_list("max_upload_bytes", flat=True)
        .first()
    )
    return own if own is not None else settings.CONTENT_MAX_UPLOAD_BYTES


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def check_upload_size(size: int) -> None:
    limit = upload_limit()
    if size > limit:
        raise ValidationError(
            {
                "file": gettext("The file is larger than this institution's limit of %(human)s.")
                % {"human": _human(limit)}
            },
            code="too_large",
        )


def library_settings_update(
    *, actor: User | Actor, max_upload_bytes: int | None
) -> LibrarySettings:
    """Set the largest file the institution accepts (None: the platform's default).

    ``actor`` is one of the institution's admins, or the platform's operators (an audit
    ``Actor``: the command line); PermissionDenied for anyone else, ValidationError on
    "max_upload_bytes" for a limit below one byte.
    """
    if not isinstance(actor, Actor) and not getattr(actor, "is_staff", False):
        raise PermissionDenied(gettext("Only the institution's admins may change this."))
    if max_upload_bytes is not None and max_upload_bytes < 1:
        raise ValidationError({"max_upload_bytes": gettext("The limit must be at least 1 byte.")})
    row, _ = LibrarySettings.objects.update_or_create(
        pk=LibrarySettings.SINGLETON_PK, defaults={"max_upload_bytes": max_upload_bytes}
    )
    return row


# --- versions -------------------------------------------------------------------
def _detect_mime(path: str) -> str:
    try:
        return magic.from_file(path, mime=True) or "application/octet-stream"
    except Exception:  # libmagic cannot judge: serve as opaque bytes
        return "application/octet-stream"


def _after_commit_process(version: ContentVersion) -> None:
    from tenant_apps.content.tasks import process_version

    version_id = version.pk
    # robust: a broker outage must not fail an upload that has already committed. The
    # pending state committed with the version is what counts: when this message is
    # lost, the periodic sweep (content.sweep) queues the version again.
    transaction.on_commit(lambda: process_version.delay(version_id=version_id), robust=True)


def _new_version(
    *, actor: User, item: ContentItem, staged: Staged, filename: str, tenant, written: bool
) -> ContentVersion:
    """In the caller's transaction: take a blob reference and add the item's next version."""
    blob = blob_acquire(tenant=tenant, staged=staged, written=written)
    number = (item.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ContentVersion.objects.create(
        item=item,
        number=number,
        blob=blob,
        filename=clean_filename(filename),
        mime_type=_detect_mime(staged.path),
        size=staged.size,
        created_by=actor,
    )
    item.current_version = version
    item.save(update_fields=["current_version", "modified"])
    size = staged.size
    transaction.on_commit(lambda: usage_add(tenant, bytes_uploaded=size))
    _after_commit_process(version)
    return version


def _precheck_upload(source: IO[bytes], tenant) -> None:
    size = getattr(source, "size", None)
    if size is not None:
        check_upload_size(size)
        quota_check_storage(tenant, size)


def upload_precheck(*, size: int) -> None:
    """Refuse an upload of ``size`` bytes over the limit or the storage quota, before receiving it.

    For bodies whose length is known up front (a raw-body upload's Content-Length):
    the same checks that content_upload_file and content_version_add make again on
    the bytes received. Raises ValidationError.
    """
    check_upload_size(size)
    quota_check_storage(current_tenant(), size)


def content_upload_file(
    *,
    actor: User,
    source: IO[bytes],
    filename: str,
    title: str = "",
    description: str = "",
    tags: list[str] | str | None = None,
    visibility: str = Visibility.PRIVATE,
    group: Group | None = None,
) -> ContentItem:
    """A new file item holding ``source``'s bytes (streamed; stored once per distinct content).

    With ``group``, the item is shared with the group as viewer in the same transaction
    (an upload into the group's library), which ``actor`` must be allowed to share into.
    Raises ValidationError for a file over the institution's limit or quota, or a group
    that does not admit the actor's items; BlobWriteError when storage fails (nothing is
    then referenced or counted).
    """
    tenant = current_tenant()
    tags = clean_tags(tags)
    if group is not None and not group_admits(actor, group, group.library_policy):
        raise ValidationError(
            {
                "group": gettext("Only %(audience)s may add to this library.")
                % {"audience": AUDIENCE_WORDS[group.library_policy]}
            }
        )
    _precheck_upload(source, tenant)
    with blob_staged(source) as staged:
        check_upload_size(staged.size)
        quota_check_storage(tenant, staged.size)
        written = blob_put(tenant=tenant, staged=staged)  # before any transaction opens
        with transaction.atomic():
            item = ContentItem(
                kind=Kind.FILE,
                title=(title or "").strip() or clean_filename(filename),
                description=description,
                tags=tags,
                visibility=visibility,
                created_by=actor,
            )
            item.full_clean(exclude=["current_version"])
            item.save()
            Share.objects.create(item=item, user=actor, role=ShareRole.MANAGER)
            _new_version(
                actor=actor,
                item=item,
                staged=staged,
                filename=filename,
                tenant=tenant,
                written=written,
            )
            activity_record(actor=actor, verb="content.created", item=item)
            transaction.on_commit(lambda: usage_add(tenant, items=1))
            if group is not None:
                content_share(actor=actor, item=item, principals=[group], role=ShareRole.VIEWER)
    return item


def _link_preview_queue(item: ContentItem) -> None:
    """(Re)start the link's preview: pending for its current address, fetched after commit
    (tenant_apps.content.tasks.preview_link; the sweep queues it again if that is lost)."""
    from tenant_apps.content.tasks import preview_link

    old = LinkPreview.objects.select_for_update().filter(pk=item.pk).first()
    if old is not None and old.image_blob_id:
        blob_release(blob_id=old.image_blob_id)
    LinkPreview.objects.update_or_create(
        item=item,
        defaults={
            "url": item.url,
            "status": Processing.PENDING,
            "title": "",
            "description": "",
            "site_name": "",
            "image_blob": None,
            "attempts": 0,
            "error": "",
            "queued_at": timezone.now(),
        },
    )
    item_id = item.pk
    transaction.on_commit(lambda: preview_link.delay(item_id=item_id), robust=True)


@transaction.atomic
def content_add_link(
    *,
    actor: User,
    url: str,
    title: str = "",
    description: str = "",
    tags: list[str] | str | None = None,
    visibility: str = Visibility.PRIVATE,
) -> ContentItem:
    """A link item; its preview (title, description, image) is fetched in the background."""
    item = _create_simple(
        actor=actor,
        kind=Kind.LINK,
        url=clean_url(url),
        title=(title or "").strip() or clean_url(url),
        description=description,
        tags=tags,
        visibility=visibility,
    )
    _link_preview_queue(item)
    return item


def content_create_document(
    *,
    actor: User,
    title: str,
    body: str = "",
    description: str = "",
    tags: list[str] | str | None = None,
    visibility: str = Visibility.PRIVATE,
) -> ContentItem:
    if not (title or "").strip():
        raise ValidationError({"title": gettext("A document needs a title.")})
    return _create_simple(
        actor=actor,
        kind=Kind.DOCUMENT,
        body_html=sanitise_document(body or ""),
        title=title.strip(),
        description=description,
        tags=tags,
        visibility=visibility,
    )


@transaction.atomic
def _create_simple(*, actor: User, tags, **fields) -> ContentItem:
    tenant = current_tenant()
    item = ContentItem(created_by=actor, tags=clean_tags(tags), **fields)
    item.full_clean(exclude=["current_version"])
    item.save()
    Share.objects.create(item=item, user=actor, role=ShareRole.MANAGER)
    activity_record(actor=actor, verb="content.created", item=item)
    transaction.on_commit(lambda: usage_add(tenant, items=1))
    return item


@transaction.atomic
def content_update(
    *,
    actor: User,
    item: ContentItem,
    title: str | None = None,
    description: str | None = None,
    tags: list[str] | str | None = None,
    visibility: str | None = None,
    url: str | None = None,
    body: str | None = None,
) -> ContentItem:
    """Change an item's title, description, tags or a link's address (editors and managers)
    and its visibility (managers only).

    A document's text is written as a revision (tenant_apps.authoring), never here: a
    ``body`` is refused with a ValidationError naming the revisions endpoint.
    """
    _require_editor(actor, item)
    if visibility is not None and visibility != item.visibility:
        _require_manager(actor, item)
    if title is not None:
        if not title.strip():
            raise ValidationError({"title": gettext("The title cannot be empty.")})
        item.title = title.strip()
    if description is not None:
        item.description = description
    if tags is not None:
        item.tags = clean_tags(tags)
    if visibility is not None:
        if visibility != item.visibility:
            _live_access_changed(item)
        item.visibility = visibility
    url_changed = False
    if url is not None:
        if item.kind != Kind.LINK:
            raise ValidationError({"url": gettext("Only links have an address.")})
        cleaned = clean_url(url)
        url_changed = cleaned != item.url
        item.url = cleaned
    if body is not None:
        if item.kind != Kind.DOCUMENT:
            raise ValidationError({"body": gettext("Only documents have a text.")})
        raise ValidationError(
            {
                "body": gettext(
                    "A document's text is written as a revision: "
                    "POST /api/v1/content/{id}/revisions/ with the revision it is based on."
                )
            }
        )
    item.full_clean(exclude=["current_version", "created_by"])
    item.save()
    if url_changed:
        _link_preview_queue(item)
    activity_record(actor=actor, verb="content.updated", item=item)
    return item


def _preview_blob_ids(item: ContentItem) -> list[int]:
    """The blobs of an item's page images and link image (one reference each)."""
    pages = list(PreviewPage.objects.filter(version__item=item).values_list("blob_id", flat=True))
    image = LinkPreview.objects.filter(item=item, image_blob__isnull=False).values_list(
        "image_blob_id", flat=True
    )
    return pages + list(image)


@transaction.atomic
def content_delete(*, actor: User, item: ContentItem) -> None:
    """Move an item to the trash (managers only): from now on no one sees it, anywhere,
    until one of its managers restores it (``content_restore``); the purge
    (``content_purge``) removes it for good after the institution's trash period."""
    _require_manager(actor, item)
    _live_access_changed(item)
    ContentItem.objects.filter(pk=item.pk).update(deleted_at=timezone.now(), deleted_by=actor)
    activity_access_changed()


@transaction.atomic
def content_restore(*, actor: User, item: ContentItem) -> ContentItem:
    """Take an item out of the trash, as it was (its managers only)."""
    _require_manager(actor, item)
    ContentItem.objects.filter(pk=item.pk).update(deleted_at=None, deleted_by=None)
    activity_access_changed()
    item.refresh_from_db()
    return item


def content_purge(*, item: ContentItem, only_trashed: bool = False) -> None:
    """Delete an item for good, without asking who acts: its versions, shares, comments
    and activities; its blobs lose a reference each (the collector removes them). For the
    institution's own processes, never for a request: the trash's purge (``only_trashed``:
    an item restored meanwhile is left alone) and a person's erasure (account.erasure)."""
    tenant = current_tenant()
    with transaction.atomic():
        if (
            only_trashed
            and not ContentItem.objects.filter(pk=item.pk, deleted_at__isnull=False).exists()
        ):
            return  # restored meanwhile
        _live_access_changed(item)
        refs = list(item.versions.values_list("blob_id", "preview_blob_id"))
        preview_refs = _preview_blob_ids(item)
        ContentItem.objects.filter(pk=item.pk).update(current_version=None)
        activities_held_for_delete(Q(item=item) | Q(comment__item=item))
        item.delete()
        activity_access_changed()
        for blob_id, preview_id in refs:
            blob_release(blob_id=blob_id)
            if preview_id:
                blob_release(blob_id=preview_id)
        for blob_id in preview_refs:
            blob_release(blob_id=blob_id)
        transaction.on_commit(lambda: usage_add(tenant, items=-1))


def content_version_add(
    *, actor: User, item: ContentItem, source: IO[bytes], filename: str
) -> ContentVersion:
    """Upload a new version of a file item (editors and managers); it becomes the current one."""
    tenant = current_tenant()
    _require_editor(actor, item)
    if item.kind != Kind.FILE:
        raise ValidationError({"file": gettext("Only files have versions.")})
    _precheck_upload(source, tenant)
    with blob_staged(source) as staged:
        check_upload_size(staged.size)
        quota_check_storage(tenant, staged.size)
        written = blob_put(tenant=tenant, staged=staged)
        with transaction.atomic():
            locked = ContentItem.objects.select_for_update().get(pk=item.pk)
            version = _new_version(
                actor=actor,
                item=locked,
                staged=staged,
                filename=filename,
                tenant=tenant,
                written=written,
            )
            activity_record(actor=actor, verb="content.version", item=locked)
    item.refresh_from_db()
    return version


@transaction.atomic
def content_version_restore(
    *, actor: User, item: ContentItem, version: ContentVersion
) -> ContentVersion:
    """Make an old version current again, as a new version holding the same bytes (editors)."""
    _require_editor(actor, item)
    if version.item_id != item.pk:
        raise ValidationError({"version": gettext("That version belongs to another item.")})
    locked = ContentItem.objects.select_for_update().get(pk=item.pk)
    blob_reference(blob=version.blob)
    number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    restored = ContentVersion.objects.create(
        item=locked,
        number=number,
        blob=version.blob,
        filename=version.filename,
        mime_type=version.mime_type,
        size=version.size,
        created_by=actor,
        restored_from=version,
        extracted_text=version.extracted_text,
        text_status=version.text_status,
        preview_blob=version.preview_blob,
        preview_status=version.preview_status,
        processing_error=version.processing_error,
        page_count=version.page_count,
        pages_rendered=version.pages_rendered,
        media_duration=version.media_duration,
    )
    if version.preview_blob_id:
        blob_reference(blob=version.preview_blob)
    for page in version.preview_pages.select_related("blob").order_by("number"):
        PreviewPage.objects.create(
            version=restored,
            number=page.number,
            blob=page.blob,
            width=page.width,
            height=page.height,
        )
        blob_reference(blob=page.blob)
    locked.current_version = restored
    locked.save(update_fields=["current_version", "modified"])
    if Processing.PENDING in (version.preview_status, version.text_status):
        _after_commit_process(restored)
    activity_record(actor=actor, verb="content.version", item=locked)
    item.refresh_from_db()
    return restored


# --- sharing --------------------------------------------------------------------
def principals_by_ids(ids: list[str], *, visible_to: User | None = None) -> list[User | Group]:
    """People (u_...) and groups (g_...) of this institution; unknown ids are a ValidationError.

    With ``visible_to``, only groups that person may see count (sharing into a private
    group one is not in answers like an unknown id, so its ids cannot be probed).
    """
    wanted_users = [i for i in ids if i.startswith("u_")]
    wanted_groups = [i for i in ids if i.startswith("g_")]
    users = {
        u.public_id: u for u in User.objects.filter(public_id__in=wanted_users, is_active=True)
    }
    candidates = Group.objects.all() if visible_to is None else groups_visible_to(visible_to)
    groups = {g.public_id: g for g in candidates.filter(public_id__in=wanted_groups)}
    unknown = [i for i in ids if i not in users and i not in groups]
    if unknown:
        raise ValidationError(
            {
                "principals": [
                    gettext("No such person or group: %(id)s") % {"id": i[:40]} for i in unknown
                ]
            }
        )
    return [users.get(i) or groups[i] for i in dict.fromkeys(ids)]


def _principal_filter(principal: User | Group) -> dict:
    return {"user": principal} if isinstance(principal, User) else {"group": principal}


def _person_managers(item: ContentItem) -> int:
    return Share.objects.filter(item=item, user__isnull=False, role=ShareRole.MANAGER).count()


@transaction.atomic
def content_share(
    *, actor: User, item: ContentItem, principals: list[User | Group], role: str
) -> list[Share]:
    """Share with people and groups as viewer, editor or manager (managers only).

    Downgrading the item's last person with a manager share is refused: an item
    never loses its last manager. Sharing into a group's library is refused unless
    ``actor`` is in the group's ``library_policy`` audience (its members by default).
    """
    _require_manager(actor, item)
    refused = [
        f"{group.public_id}: only {AUDIENCE_WORDS[group.library_policy]} may share into "
        "this group's library."
        for group in principals
        if isinstance(group, Group) and not group_admits(actor, group, group.library_policy)
    ]
    if refused:
        raise ValidationError({"principals": refused})
    ContentItem.objects.select_for_update().filter(pk=item.pk).first()
    shares = []
    now = timezone.now()
    for principal in principals:
        share, _ = Share.objects.update_or_create(
            item=item,
            **_principal_filter(principal),
            defaults={"role": role, "shared_by": actor, "shared": now},
        )
        shares.append(share)
    if _person_managers(item) == 0:
        raise ValidationError(
            {
                "role": gettext(
                    "The item would have no manager left; make someone else a manager first."
                )
            }
        )
    activity_record(actor=actor, verb="content.shared", item=item, targets=principals)
    _live_access_changed(item)
    return shares


@transaction.atomic
def content_unshare(*, actor: User, item: ContentItem, principal: User | Group) -> None:
    """Remove a share (managers only; anyone may remove their own). Never the last manager."""
    own = isinstance(principal, User) and principal.pk == actor.pk
    if not own:
        _require_manager(actor, item)
    ContentItem.objects.select_for_update().filter(pk=item.pk).first()
    deleted, _ = Share.objects.filter(item=item, **_principal_filter(principal)).delete()
    activity_access_changed()
    _live_access_changed(item)
    if not deleted:
        raise ValidationError({"principal": gettext("The item is not shared with them.")})
    if _person_managers(item) == 0:
        raise ValidationError(
            {
                "principal": gettext(
                    "The item would have no manager left; make someone else a manager first."
                )
            }
        )


# --- comments -------------------------------------------------------------------
def _clean_comment(body: str) -> str:
    cleaned = sanitise_html(body or "", tags=COMMENT_TAGS).strip()
    if not nh3.clean(cleaned, tags=set()).strip():
        raise ValidationError({"body": gettext("A comment cannot be empty.")})
    if len(cleaned) > 20000:
        raise ValidationError({"body": gettext("A comment is at most 20,000 characters.")})
    return cleaned


@transaction.atomic
def comment_create(
    *, actor: User, item: ContentItem, body: str, parent: Comment | None = None
) -> Comment:
    """Anyone who may see an item (and is signed in) may comment; replies thread under a parent."""
    if not getattr(actor, "is_authenticated", False):
        raise NotAllowed(gettext("Sign in to comment."))
    if parent is not None and parent.item_id != item.pk:
        raise ValidationError({"parent": gettext("That comment belongs to another item.")})
    comment = Comment.objects.create(
        item=item, parent=parent, author=actor, body_html=_clean_comment(body)
    )
    activity_record(actor=actor, verb="content.commented", comment=comment, reply_to=parent)
    return comment


def _require_comment_rights(actor: User, comment: Comment) -> None:
    if comment.author_id != actor.pk and not can_manage(actor, comment.item):
        raise NotAllowed(gettext("You may not change this comment."))


@transaction.atomic
def comment_update(*, actor: User, comment: Comment, body: str) -> Comment:
    _require_comment_rights(actor, comment)
    comment.body_html = _clean_comment(body)
    comment.save(update_fields=["body_html", "modified"])
    return comment


@transaction.atomic
def comment_delete(*, actor: User, comment: Comment) -> None:
    _require_comment_rights(actor, comment)
    comment.delete()
