"""Personal data export: an archive (zip) of everything about one person, built in the
background and served, for a limited time, to that person only.

The archive holds ``profile.json``, ``content.json`` with every version's bytes under
``content/<item id>/``, ``comments.json``, ``messages.json`` (threads the person is in,
messages sent or received), ``discussions.json`` (topics and replies they wrote),
``memberships.json``, ``folders.json`` (folders they are a member of), ``connections.json``,
``following.json`` (whom they follow, who follows them) and
``terms.json``. It is written to the institution's own prefix in object storage
(``tenants/<uuid>/exports/<id>.zip``), so deleting the institution deletes it.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import timedelta

import structlog
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tenant_apps.account.mail import mail_after_commit
from tenant_apps.account.models import DataExport, ExportStatus, TermsAcceptance
from tenant_apps.blobs.storage import blob_key, blob_storage
from tenant_apps.blobs.tenancy import current_tenant
from tenant_apps.connections.models import Connection, Follow
from tenant_apps.content.models import Comment, ContentItem, ContentVersion
from tenant_apps.discussions.models import Discussion, Reply
from tenant_apps.folders.models import FolderItem, FolderShare
from tenant_apps.groups.models import GroupMembership
from tenant_apps.institution.access import is_institution_admin
from tenant_apps.institution.audit import admin_action_record
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.messaging.models import Message, ThreadState
from tenant_apps.people.admin_services import institution_base_url
from tenant_apps.people.models import PROFILE_FIELDS, User
from tenants.storage import s3_client, storage_upload, tenant_prefix

log = structlog.get_logger(__name__)

LINK_SALT = "account.export-link"
CHUNK = 1024 * 1024
# At most this many exports a person may ask for in a day (each reads all their bytes).
MAX_EXPORTS_PER_DAY = 5


def export_key(tenant, export: DataExport) -> str:
    return f"{tenant_prefix(tenant.uuid)}exports/{export.public_id}.zip"


@transaction.atomic
def export_request(*, actor: User, person: User) -> DataExport:
    """Ask for ``person``'s archive: themself, or an admin of the institution for them.

    The archive is built by a Celery task after the commit; the person is mailed the
    link when it is ready (also when an admin asked). ValidationError after
    MAX_EXPORTS_PER_DAY requests for one person in a day.
    """
    if actor.pk != person.pk and not is_institution_admin(actor):
        raise PermissionDenied(_("Only the person and the institution's admins may do this."))
    since = timezone.now() - timedelta(days=1)
    if DataExport.objects.filter(user=person, created__gte=since).count() >= MAX_EXPORTS_PER_DAY:
        raise ValidationError(
            {"__all__": [_("Enough archives were asked for today; try again tomorrow.")]}
        )
    export = DataExport.objects.create(user=person, requested_by=actor)
    if actor.pk != person.pk:
        admin_action_record(
            actor=actor, verb="person.export_requested", target=person.public_id, details={}
        )
    from tenant_apps.account.tasks import build_export

    export_id = export.pk
    transaction.on_commit(lambda: build_export.delay(export_id=export_id), robust=True)
    log.info("export requested", person=person.public_id, export=export.public_id)
    return export


def _progress(export: DataExport, percent: int) -> None:
    # Outside the builder's work: a person polling sees it at once.
    DataExport.objects.filter(pk=export.pk).update(progress=min(max(percent, 0), 100))


def _json(archive: zipfile.ZipFile, name: str, data) -> None:
    archive.writestr(name, json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _name_of(person: User | None) -> dict:
    # Other people appear by their id and display name only, as in the product itself.
    if person is None:
        return {"id": None, "display_name": "Former member"}
    return {"id": person.public_id, "display_name": person.display_name}


def export_build(*, export_id: int) -> DataExport | None:
    """Build the archive of export ``export_id`` (in the current institution's schema).

    Idempotent: an export already ready (or expired) is left alone; a failure marks it
    failed with a short reason (the person may ask again).
    """
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status in (ExportStatus.READY, ExportStatus.EXPIRED):
        return export
    DataExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, progress=0)
    tenant = current_tenant()
    person = export.user
    fd, path = tempfile.mkstemp(prefix="oae-export-", suffix=".zip")
    os.close(fd)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            _write_archive(archive, export, person, tenant)
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            storage_upload(export_key(tenant, export), handle)
    except Exception as error:
        DataExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=str(error)[:300], finished=timezone.now()
        )
        log.exception("export failed", export=export.public_id)
        raise
    finally:
        os.unlink(path)
    now = timezone.now()
    with transaction.atomic():
        DataExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.READY,
            progress=100,
            size=size,
            finished=now,
            expires=now + timedelta(hours=settings.EXPORT_LINK_HOURS),
        )
        export.refresh_from_db()
        institution = institution_profile()
        mail_after_commit(
            to=person.email,
            subject=_("Your data from %(name)s is ready") % {"name": institution.name},
            template="account/export_ready_email.txt",
            context={
                "institution": institution,
                "link": export_link(export),
                "hours": settings.EXPORT_LINK_HOURS,
            },
        )
    log.info("export ready", export=export.public_id, size=size)
    return export


def _write_archive(archive: zipfile.ZipFile, export: DataExport, person: User, tenant) -> None:
    profile = {
        "id": person.public_id,
        "username": person.username,
        "email": person.email,
        "date_joined": person.date_joined,
        "last_login": person.last_login,
        "listed_in_directory": person.listed_in_directory,
        **{field: getattr(person, field) for field in PROFILE_FIELDS},
        **{
            f"{field}_visibility": getattr(person, f"{field}_visibility")
            for field in PROFILE_FIELDS
        },
    }
    _json(archive, "profile.json", profile)
    if person.picture_sha256:
        _copy_blob(archive, tenant, person.picture_sha256, "profile-picture.png")
    _progress(export, 5)

    items = list(
        ContentItem.objects.filter(created_by=person).order_by("id").prefetch_related("versions")
    )
    versions = [version for item in items for version in item.versions.all()]
    content = []
    for item in items:
        content.append(
            {
                "id": item.public_id,
                "kind": item.kind,
                "title": item.title,
                "description": item.description,
                "tags": item.tags,
                "visibility": item.visibility,
                "url": item.url,
                "body_html": item.body_html,
                "created": item.created,
                "versions": [
                    {
                        "id": v.public_id,
                        "number": v.number,
                        "filename": v.filename,
                        "mime_type": v.mime_type,
                        "size": v.size,
                        "created": v.created,
                        "file": _version_path(item, v),
                    }
                    for v in sorted(item.versions.all(), key=lambda v: v.number)
                ],
            }
        )
    _json(archive, "content.json", content)
    sha = dict(
        ContentVersion.objects.filter(pk__in=[v.pk for v in versions]).values_list(
            "pk", "blob__sha256"
        )
    )
    for done, version in enumerate(versions, start=1):
        item = next(i for i in items if i.pk == version.item_id)
        _copy_blob(archive, tenant, sha[version.pk], _version_path(item, version))
        _progress(export, 5 + int(75 * done / max(len(versions), 1)))
    _progress(export, 80)

    comments = Comment.objects.filter(author=person).select_related("item").order_by("id")
    _json(
        archive,
        "comments.json",
        [
            {
                "id": c.public_id,
                "item": c.item.public_id,
                "item_title": c.item.title,
                "body_html": c.body_html,
                "created": c.created,
            }
            for c in comments.iterator()
        ],
    )
    _progress(export, 85)

    thread_ids = ThreadState.objects.filter(user=person).values("thread_id")
    threads: dict[str, dict] = {}
    for message in (
        Message.objects.filter(thread_id__in=thread_ids)
        .select_related("thread", "sender")
        .order_by("thread_id", "id")
        .iterator()
    ):
        thread = threads.setdefault(
            message.thread.public_id,
            {"id": message.thread.public_id, "subject": message.thread.subject, "messages": []},
        )
        thread["messages"].append(
            {
                "id": message.public_id,
                "from": _name_of(message.sender),
                "sent_by_me": message.sender_id == person.pk,
                "body": message.body,
                "created": message.created,
            }
        )
    _json(archive, "messages.json", list(threads.values()))
    _json(
        archive,
        "discussions.json",
        {
            "topics": [
                {"id": d.public_id, "title": d.title, "body": d.body, "created": d.created}
                for d in Discussion.objects.filter(created_by=person).order_by("id").iterator()
            ],
            "replies": [
                {
                    "id": r.public_id,
                    "discussion": r.discussion.public_id,
                    "body": r.body,
                    "created": r.created,
                }
                for r in Reply.objects.filter(author=person)
                .select_related("discussion")
                .order_by("id")
                .iterator()
            ],
        },
    )
    _progress(export, 90)

    _json(
        archive,
        "memberships.json",
        [
            {"group": m.group.public_id, "title": m.group.title, "role": m.role, "since": m.created}
            for m in GroupMembership.objects.filter(user=person).select_related("group")
        ],
    )
    _json(
        archive,
        "connections.json",
        [
            {
                "id": c.public_id,
                "with": _name_of(c.invitee if c.inviter_id == person.pk else c.inviter),
                "status": c.status,
                "created": c.created,
                "accepted": c.accepted,
            }
            for c in Connection.objects.filter(Q(inviter=person) | Q(invitee=person))
            .select_related("inviter", "invitee")
            .order_by("id")
        ],
    )
    _json(
        archive,
        "folders.json",
        [
            {
                "id": share.folder.public_id,
                "title": share.folder.title,
                "description": share.folder.description,
                "role": share.role,
                "items": list(
                    FolderItem.objects.filter(folder_id=share.folder_id)
                    .order_by("id")
                    .values_list("item__public_id", flat=True)
                ),
            }
            for share in FolderShare.objects.filter(
                user=person, folder__deleted_at__isnull=True
            ).select_related("folder")
        ],
    )
    _json(
        archive,
        "following.json",
        {
            "following": [
                {**_name_of(f.followed), "since": f.created}
                for f in Follow.objects.filter(follower=person).select_related("followed")
            ],
            "followers": [
                {**_name_of(f.follower), "since": f.created}
                for f in Follow.objects.filter(followed=person).select_related("follower")
            ],
        },
    )
    _json(
        archive,
        "terms.json",
        [
            {"version": a.version.number, "accepted": a.accepted}
            for a in TermsAcceptance.objects.filter(user=person).select_related("version")
        ],
    )
    _progress(export, 95)


def _version_path(item: ContentItem, version: ContentVersion) -> str:
    safe = os.path.basename(version.filename.replace("\\", "/")) or "file"
    return f"content/{item.public_id}/v{version.number}-{safe}"


def _copy_blob(archive: zipfile.ZipFile, tenant, sha256: str, name: str) -> None:
    with (
        blob_storage().open(blob_key(tenant.uuid, sha256), "rb") as source,
        archive.open(name, "w", force_zip64=True) as target,
    ):
        while chunk := source.read(CHUNK):
            target.write(chunk)


# --- the link and the download ----------------------------------------------------------
def export_link(export: DataExport, *, absolute: bool = True) -> str:
    """The mailed address (``absolute``; a path on the person's own page): signed, and
    valid for EXPORT_LINK_HOURS."""
    signature = signing.dumps(export.public_id, salt=LINK_SALT)
    path = f"/account/exports/{export.public_id}/download?sig={signature}"
    return f"{institution_base_url()}{path}" if absolute else path


def export_for_download(*, viewer, public_id: str, signature: str) -> DataExport:
    """The ready export ``public_id`` when ``viewer`` is its person and ``signature`` is its
    link's and has not expired; Http404 otherwise (all alike)."""
    if not getattr(viewer, "is_authenticated", False):
        raise Http404
    try:
        signed = signing.loads(
            signature or "", salt=LINK_SALT, max_age=settings.EXPORT_LINK_HOURS * 3600
        )
    except signing.BadSignature:
        raise Http404 from None
    if signed != public_id:
        raise Http404
    export = DataExport.objects.filter(
        public_id=public_id, user=viewer, status=ExportStatus.READY, expires__gt=timezone.now()
    ).first()
    if export is None:
        raise Http404
    return export


def export_stream(export: DataExport) -> Iterator[bytes]:
    body = s3_client().get_object(
        Bucket=settings.S3_BUCKET, Key=export_key(current_tenant(), export)
    )["Body"]
    return body.iter_chunks(CHUNK)


def exports_expire(*, now=None) -> int:
    """Delete the archives of exports past their time (the rows stay, marked expired)."""
    now = now or timezone.now()
    tenant = current_tenant()
    expired = list(DataExport.objects.filter(status=ExportStatus.READY, expires__lte=now)[:500])
    for export in expired:
        s3_client().delete_object(Bucket=settings.S3_BUCKET, Key=export_key(tenant, export))
        DataExport.objects.filter(pk=export.pk).update(status=ExportStatus.EXPIRED)
    return len(expired)


def exports_delete_for(*, person: User) -> None:
    """Erasure: the person's archives and export rows go."""
    tenant = current_tenant()
    for export in DataExport.objects.filter(user=person):
        if export.status == ExportStatus.READY:
            s3_client().delete_object(Bucket=settings.S3_BUCKET, Key=export_key(tenant, export))
    DataExport.objects.filter(user=person).delete()
