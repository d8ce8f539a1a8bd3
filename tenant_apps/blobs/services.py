"""Writing, referencing, collecting and reconciling blobs (rule 3 of DESIGN.md).

The order that keeps referenced data safe through any crash:

1. ``blob_staged`` streams the bytes to a local temporary file while hashing them.
2. ``blob_put`` writes the object (unless a referenced row says it is already
   there) and checks it, outside any transaction; ``blob_acquire`` then creates or
   locks the row and takes a reference, in the caller's transaction. A failure
   before the commit leaves at most an object without a row: garbage that the
   reconciler removes.
3. ``blob_release`` drops a reference; at zero the blob waits out the grace period.
4. ``blob_collect_garbage`` deletes an unreferenced blob's row, then its object, in
   one transaction *holding the row lock*: an upload of the same bytes waits for the
   lock and, finding no row, writes the object again. If the commit fails after the
   object went, the row survives with ``refs == 0``; the next acquire of that hash
   checks the object and rewrites it.

Callers never learn whether the bytes were already stored: acquire answers the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tenant_apps.blobs.models import Blob
from tenant_apps.blobs.storage import (
    CHUNK,
    blob_key,
    blob_storage,
    object_is_whole,
    object_keys,
    object_write,
)
from tenant_apps.blobs.tempfiles import temp_file
from tenants.usage import usage_add

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Staged:
    """Bytes on local disk with their hash, ready for the blob store."""

    path: str
    sha256: str
    size: int


@contextlib.contextmanager
def blob_staged(source: IO[bytes]) -> Iterator[Staged]:
    """The bytes of ``source`` on local disk with their SHA-256, removed afterwards.

    An upload that went through HashingFileUploadHandler is already on disk and
    hashed; anything else (a command, a test, a generated preview) is streamed to
    a temporary file in chunks, never read whole into memory.
    """
    path = getattr(source, "temporary_file_path", None)
    sha = getattr(source, "sha256", None)
    if path is not None and sha is not None:
        yield Staged(path=path(), sha256=sha, size=os.path.getsize(path()))
        return
    hasher = hashlib.sha256()
    size = 0
    handle = temp_file("blob")  # removed in finally (or by temp_files_sweep)
    try:
        with handle:
            if hasattr(source, "seek"):
                with contextlib.suppress(OSError, ValueError):
                    source.seek(0)
            while chunk := source.read(CHUNK):
                hasher.update(chunk)
                handle.write(chunk)
                size += len(chunk)
        yield Staged(path=handle.name, sha256=hasher.hexdigest(), size=size)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)


def _write(tenant, staged: Staged) -> None:
    object_write(
        blob_storage(),
        blob_key(tenant.uuid, staged.sha256),
        staged.path,
        sha256=staged.sha256,
        size=staged.size,
        verify_bytes=settings.BLOB_VERIFY_READBACK_BYTES,
    )


def blob_put(*, tenant, staged: Staged) -> bool:
    """Write the object unless a referenced row vouches for it; True when it was written.

    Call it before opening the transaction that will ``blob_acquire``: a large upload
    then holds no transaction or lock while its bytes travel. Writing identical
    bytes twice is harmless. Raises BlobWriteError when storage fails.
    """
    if Blob.objects.filter(sha256=staged.sha256, refs__gt=0).exists():
        return False
    _write(tenant, staged)
    return True


def blob_put_many(*, tenant, staged: list[Staged], threads: int = 4) -> list[bool]:
    """``blob_put`` for many files at once (a document's page images): one query finds
    those a referenced row vouches for, the others are written from ``threads`` threads
    (storage calls only: no database in the threads), identical bytes once.

    Returns, in order, whether each was written (what ``blob_acquire`` takes as
    ``written``). Raises BlobWriteError when any write fails (the others finish first).
    """
    vouched = set(
        Blob.objects.filter(sha256__in={s.sha256 for s in staged}, refs__gt=0).values_list(
            "sha256", flat=True
        )
    )
    todo = {s.sha256: s for s in staged if s.sha256 not in vouched}
    if todo:
        with ThreadPoolExecutor(max_workers=max(1, min(threads, len(todo)))) as pool:
            for _done in pool.map(lambda one: _write(tenant, one), todo.values()):
                pass
    return [s.sha256 in todo for s in staged]


def blob_acquire(*, tenant, staged: Staged, written: bool | None = None) -> Blob:
    """The blob holding ``staged``'s bytes, with one more reference (in the caller's transaction).

    ``written`` is what an earlier ``blob_put`` answered; without it the put happens
    here. The object is always in storage before the row that refers to it. Raises
    BlobWriteError (nothing referenced, nothing counted) when storage fails.
    """
    if written is None:
        written = blob_put(tenant=tenant, staged=staged)
    with transaction.atomic():
        blob = Blob.objects.select_for_update().filter(sha256=staged.sha256).first()
        if blob is None:
            if not written:  # collected between the check and the lock
                _write(tenant, staged)
            try:
                with transaction.atomic():
                    blob = Blob.objects.create(sha256=staged.sha256, size=staged.size, refs=1)
            except IntegrityError:  # a concurrent upload of the same bytes created it
                blob = Blob.objects.select_for_update().get(sha256=staged.sha256)
            else:
                size = staged.size
                transaction.on_commit(lambda: usage_add(tenant, bytes_stored=size))
                return blob
        # Waiting for the collector, or reported missing: make sure the bytes are there.
        doubtful = blob.refs == 0 or blob.missing_since is not None
        key = blob_key(tenant.uuid, blob.sha256)
        if not written and doubtful and not object_is_whole(blob_storage(), key, blob.size):
            _write(tenant, staged)
        Blob.objects.filter(pk=blob.pk).update(
            refs=F("refs") + 1, unreferenced_since=None, missing_since=None
        )
        blob.refresh_from_db()
    return blob


def blob_reference(*, blob: Blob) -> None:
    """One more reference to a blob that is already referenced (restoring an old version)."""
    with transaction.atomic():
        locked = Blob.objects.select_for_update().get(pk=blob.pk)
        Blob.objects.filter(pk=locked.pk).update(refs=F("refs") + 1, unreferenced_since=None)


def blob_release(*, blob_id: int) -> None:
    """Drop one reference (in the caller's transaction); at zero the grace period starts."""
    with transaction.atomic():
        blob = Blob.objects.select_for_update().get(pk=blob_id)
        blob.refs = max(blob.refs - 1, 0)
        blob.unreferenced_since = timezone.now() if blob.refs == 0 else None
        blob.save(update_fields=["refs", "unreferenced_since"])


def blob_collect_garbage(*, tenant, grace: timedelta | None = None, limit: int = 1000) -> int:
    """Delete blobs unreferenced for longer than ``grace``; returns how many went.

    Runs in the institution's schema. A storage failure leaves the row (and the
    blob's reference count) as it was; the next run tries again.
    """
    grace = grace if grace is not None else timedelta(hours=settings.BLOB_GC_GRACE_HOURS)
    cutoff = timezone.now() - grace
    storage = blob_storage()
    deleted = 0
    freed = 0
    candidates = list(
        Blob.objects.filter(refs=0, unreferenced_since__lte=cutoff)
        .order_by("unreferenced_since")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in candidates:
        try:
            with transaction.atomic():
                blob = (
                    Blob.objects.select_for_update(skip_locked=True)
                    .filter(pk=pk, refs=0, unreferenced_since__lte=cutoff)
                    .first()
                )
                if blob is None:
                    continue  # referenced again, or an upload holds it
                # The row first: a row still protected by a referring version (a count
                # gone wrong) raises here, before any byte is deleted.
                blob.delete()
                storage.delete(blob_key(tenant.uuid, blob.sha256))
        except Exception:
            log.exception("blob.gc_failed", extra={"blob": pk})
            continue
        deleted += 1
        freed += blob.size
    if freed:
        usage_add(tenant, bytes_stored=-freed)
    return deleted


@dataclass
class Reconciliation:
    objects_without_rows: list[str]
    rows_without_objects: list[str]
    removed_objects: list[str]
    removed_rows: list[str]
    lost: list[str]  # referenced blobs whose bytes are gone: reported, marked missing


def blob_reconcile(
    *, tenant, repair: bool = False, grace: timedelta | None = None
) -> Reconciliation:
    """Compare the institution's objects with its rows; with ``repair``, fix what can be fixed.

    Objects without rows older than ``grace`` (a crash between write and commit)
    are deleted; younger ones may belong to an upload in flight and are left.
    Rows without objects and no references are deleted; referenced ones are
    marked missing (their bytes cannot be recovered here) and reported as lost.
    """
    grace = grace if grace is not None else timedelta(hours=settings.BLOB_GC_GRACE_HOURS)
    storage = blob_storage()
    keys = set(object_keys(storage, tenant.uuid))
    rows = dict(Blob.objects.values_list("sha256", "refs"))
    report = Reconciliation(
        objects_without_rows=sorted(keys - rows.keys()),
        rows_without_objects=sorted(rows.keys() - keys),
        removed_objects=[],
        removed_rows=[],
        lost=[],
    )
    cutoff = timezone.now() - grace
    for sha in report.rows_without_objects:
        if rows[sha] > 0:
            report.lost.append(sha)
    if not repair:
        return report
    for sha in report.objects_without_rows:
        key = blob_key(tenant.uuid, sha)
        with transaction.atomic():
            # The row lock (or its absence) decides: an upload that created the row
            # meanwhile keeps its object.
            if Blob.objects.select_for_update().filter(sha256=sha).exists():
                continue
            if storage.get_modified_time(key) > cutoff:
                continue
            storage.delete(key)
        report.removed_objects.append(sha)
    for sha in report.rows_without_objects:
        with transaction.atomic():
            blob = Blob.objects.select_for_update().filter(sha256=sha).first()
            if blob is None or object_is_whole(storage, blob_key(tenant.uuid, sha), blob.size):
                continue
            if blob.refs == 0:
                blob.delete()
                usage_add(tenant, bytes_stored=-blob.size)
                report.removed_rows.append(sha)
            elif blob.missing_since is None:
                blob.missing_since = timezone.now()
                blob.save(update_fields=["missing_since"])
    return report
