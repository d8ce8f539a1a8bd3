"""Background work on versions (Celery; tenant-schemas-celery runs each task in its institution).

Nothing depends on a queued message surviving. A version's pending state is in the
database, written in the transaction that creates it; the message queued after commit
is only a nudge. When it is lost (a broker outage, a worker killed mid-task, a retry
that could not be sent), the periodic sweep (``content.sweep``, run by beat) queues
the version again once it has waited past CONTENT_PROCESSING_SWEEP_AFTER_SECONDS.

Attempts are counted in the database when one *starts*, so a worker killed mid-task
has still used one; after CONTENT_PROCESSING_ATTEMPTS the version records its failure
for good. Failure handlers never need the database to decide on a retry: when the
database is what failed, the task retries anyway (and the sweep is the net under that).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_process_init, worker_ready
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import tenant_context

from tenant_apps.blobs.services import blob_acquire, blob_put, blob_put_many, blob_staged
from tenant_apps.blobs.storage import blob_key, blob_storage, object_read
from tenant_apps.blobs.tempfiles import temp_file, temp_files_sweep
from tenant_apps.blobs.tenancy import current_tenant
from tenant_apps.content.extraction import ExtractionRefused, can_extract, extract_text
from tenant_apps.content.link_previews import link_facts_fetch, link_image_fetch
from tenant_apps.content.models import ContentVersion, LinkPreview, PreviewPage, Processing
from tenant_apps.content.processing import Preview, can_preview, render, work_directory
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)
PENDING = Q(preview_status=Processing.PENDING) | Q(text_status=Processing.PENDING)
SWEEP_BATCH = 500  # versions queued again per institution per sweep
PAGE_WRITE_THREADS = 4  # a document's page images go to storage this many at a time


class ProcessingFailed(Exception):
    """One attempt failed (recorded on the version when the database allowed it)."""

    def __init__(self, attempts: int, error: Exception):
        super().__init__(f"attempt {attempts}: {type(error).__name__}: {error}")
        self.attempts = attempts


@contextlib.contextmanager
def _local_copy(tenant, version: ContentVersion):
    handle = temp_file("process")  # removed in finally, or by temp_files_sweep when killed
    try:
        with handle:
            for chunk in object_read(blob_storage(), blob_key(tenant.uuid, version.blob.sha256)):
                handle.write(chunk)
        yield handle.name
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)


def _pending_parts(version: ContentVersion) -> dict[str, str]:
    parts = {}
    if version.preview_status == Processing.PENDING:
        parts["preview_status"] = Processing.FAILED
    if version.text_status == Processing.PENDING:
        parts["text_status"] = Processing.FAILED
    return parts


def _attempt_start(version_id: int) -> tuple[ContentVersion, int] | None:
    """Count an attempt (committed before any work starts); None when there is nothing
    to do or the attempts are used up (the failure is then recorded for good)."""
    limit = settings.CONTENT_PROCESSING_ATTEMPTS
    with transaction.atomic():
        version = (
            ContentVersion.objects.select_for_update(of=("self",))
            .select_related("blob")
            .filter(pk=version_id)
            .first()
        )
        if version is None:
            return None
        failed_parts = _pending_parts(version)
        if not failed_parts:
            return None
        if version.processing_attempts >= limit:
            # The last attempts ended without a word (a worker killed mid-task): give up.
            error = version.processing_error or (
                f"Gave up after {limit} attempts: the worker stopped mid-task each time."
            )
            ContentVersion.objects.filter(pk=version.pk).update(
                **failed_parts, processing_error=error[:500]
            )
            log.warning("content.processing_gave_up", extra={"version": version.pk})
            return None
        version.processing_attempts += 1
        ContentVersion.objects.filter(pk=version.pk).update(
            processing_attempts=version.processing_attempts
        )
    return version, version.processing_attempts


def _record_failure(version: ContentVersion, attempts: int, error: Exception) -> None:
    """Write the error (and, after the last attempt, the failure) on the version.

    Best effort: when the database is what failed this raises nothing; the version
    stays pending and the next attempt (or the sweep) finds it.
    """
    final = attempts >= settings.CONTENT_PROCESSING_ATTEMPTS
    updates: dict = {"processing_error": f"{type(error).__name__}: {error}"[:500]}
    if final:
        updates.update(_pending_parts(version))
    try:
        ContentVersion.objects.filter(pk=version.pk).update(**updates)
    except Exception:
        log.warning("content.processing_failure_unrecorded", extra={"version": version.pk})
    log.warning("content.processing_failed", extra={"version": version.pk, "final": final})


def _store(
    *,
    version_id: int,
    tenant,
    wants_preview: bool,
    wants_text: bool,
    preview: Preview,
    pages: list,
    text: str | None,
    refused: str,
) -> ContentVersion:
    """Write what processing made on the version, in one transaction."""
    with transaction.atomic():
        locked = ContentVersion.objects.select_for_update().get(pk=version_id)
        if wants_preview:
            if preview.thumbnail is not None and locked.preview_blob_id is None:
                with blob_staged(io.BytesIO(preview.thumbnail)) as staged:
                    locked.preview_blob = blob_acquire(tenant=tenant, staged=staged)
            if pages and not locked.preview_pages.exists():
                PreviewPage.objects.bulk_create(
                    PreviewPage(
                        version=locked,
                        number=number,
                        blob=blob_acquire(tenant=tenant, staged=staged, written=written),
                        width=page.width,
                        height=page.height,
                    )
                    for number, (page, staged, written) in enumerate(pages, 1)
                )
                locked.pages_rendered = len(pages)
            locked.page_count = preview.page_count
            locked.media_duration = preview.duration
            locked.preview_status = Processing.NONE if preview.is_empty else Processing.DONE
        locked.processing_error = ""
        if wants_text:
            # The search index follows in this transaction (a trigger on the text).
            locked.extracted_text = text or ""
            locked.text_status = Processing.DONE if text is not None else Processing.NONE
            if refused:
                locked.text_status = Processing.FAILED
                locked.processing_error = refused[:500]
        locked.save()
    return locked


def version_process(*, version_id: int) -> ContentVersion | None:
    """Make the preview (thumbnail, page images, poster and duration) and extract the
    text of one version (in the current schema).

    Counts the attempt before starting. Raises ProcessingFailed after recording the
    error (and, on the last attempt, the failure) on the version.
    """
    started = _attempt_start(version_id)
    if started is None:
        return ContentVersion.objects.filter(pk=version_id).first()
    version, attempts = started
    wants_preview = version.preview_status == Processing.PENDING
    wants_text = version.text_status == Processing.PENDING
    tenant = current_tenant()
    mime = version.mime_type
    try:
        with _local_copy(tenant, version) as path, work_directory() as work_dir:
            preview = (
                render(path, mime, work_dir) if wants_preview and can_preview(mime) else Preview()
            )
            text, refused = None, ""
            if wants_text and can_extract(mime):
                try:
                    text = extract_text(path, mime)
                except ExtractionRefused as error:
                    refused = str(error)  # recorded, not retried: the file will not change
            with contextlib.ExitStack() as staging:
                # The page images' objects are written before the transaction opens (a
                # 100-page document holds no lock while they travel), rows after.
                staged_pages = []
                for page in preview.pages:
                    with open(page.path, "rb") as source:
                        staged_pages.append((page, staging.enter_context(blob_staged(source))))
                written = blob_put_many(
                    tenant=tenant,
                    staged=[staged for _page, staged in staged_pages],
                    threads=PAGE_WRITE_THREADS,
                )
                pages = [
                    (page, staged, was_written)
                    for (page, staged), was_written in zip(staged_pages, written, strict=True)
                ]
                locked = _store(
                    version_id=version.pk,
                    tenant=tenant,
                    wants_preview=wants_preview,
                    wants_text=wants_text,
                    preview=preview,
                    pages=pages,
                    text=text,
                    refused=refused,
                )
        return locked
    except Exception as error:
        _record_failure(version, attempts, error)
        raise ProcessingFailed(attempts, error) from error


@shared_task(name="content.process_version", bind=True, max_retries=None)
def process_version(self, version_id: int) -> None:
    limit = settings.CONTENT_PROCESSING_ATTEMPTS
    delay = settings.CONTENT_PROCESSING_RETRY_SECONDS
    try:
        version_process(version_id=version_id)
    except ProcessingFailed as failure:
        if failure.attempts < limit:
            raise self.retry(exc=failure, countdown=delay * failure.attempts) from failure
    except Exception as error:
        # Not even the attempt could be counted (the database is down): try again
        # later without asking it anything. Celery's own count bounds these retries;
        # past them the version is still pending and the sweep queues it again.
        if self.request.retries < limit * 3:
            raise self.retry(exc=error, countdown=delay) from error
        raise


# --- link previews ----------------------------------------------------------------------
def _link_attempt_start(item_id: int) -> tuple[LinkPreview, int] | None:
    """Count an attempt at a link's preview (as _attempt_start does for versions)."""
    limit = settings.CONTENT_PROCESSING_ATTEMPTS
    with transaction.atomic():
        preview = LinkPreview.objects.select_for_update().filter(pk=item_id).first()
        if preview is None or preview.status != Processing.PENDING:
            return None
        if preview.attempts >= limit:
            error = preview.error or (
                f"Gave up after {limit} attempts: the worker stopped mid-task each time."
            )
            LinkPreview.objects.filter(pk=item_id).update(
                status=Processing.FAILED, error=error[:500]
            )
            return None
        preview.attempts += 1
        LinkPreview.objects.filter(pk=item_id).update(attempts=preview.attempts)
    return preview, preview.attempts


def link_preview_process(*, item_id: int) -> LinkPreview | None:
    """Fetch what a link's page says about itself and its image (in the current schema).

    Counts the attempt first; a fetch that fails records its error (and, on the last
    attempt, the failure) and raises ProcessingFailed. A page that says nothing is done
    with nothing (status "none"). An address changed meanwhile is left for its own task.
    """
    started = _link_attempt_start(item_id)
    if started is None:
        return LinkPreview.objects.filter(pk=item_id).first()
    preview, attempts = started
    tenant = current_tenant()
    try:
        facts = link_facts_fetch(preview.url)
        image = link_image_fetch(facts.image_url) if facts.image_url else None
        with contextlib.ExitStack() as staging:
            staged = staging.enter_context(blob_staged(io.BytesIO(image))) if image else None
            written = blob_put(tenant=tenant, staged=staged) if staged else False
            with transaction.atomic():
                locked = LinkPreview.objects.select_for_update().get(pk=item_id)
                if locked.url != preview.url or locked.status != Processing.PENDING:
                    return locked  # the address changed: the newer task fetches it
                if staged is not None and locked.image_blob_id is None:
                    locked.image_blob = blob_acquire(tenant=tenant, staged=staged, written=written)
                locked.title = facts.title
                locked.description = facts.description
                locked.site_name = facts.site_name
                empty = facts.is_empty and locked.image_blob_id is None
                locked.status = Processing.NONE if empty else Processing.DONE
                locked.error = ""
                locked.save()
        return locked
    except Exception as error:
        final = attempts >= settings.CONTENT_PROCESSING_ATTEMPTS
        updates: dict = {"error": f"{type(error).__name__}: {error}"[:500]}
        if final:
            updates["status"] = Processing.FAILED
        with contextlib.suppress(Exception):
            LinkPreview.objects.filter(pk=item_id, url=preview.url).update(**updates)
        log.warning("content.link_preview_failed", extra={"item": item_id, "final": final})
        raise ProcessingFailed(attempts, error) from error


@shared_task(name="content.preview_link", bind=True, max_retries=None)
def preview_link(self, item_id: int) -> None:
    limit = settings.CONTENT_PROCESSING_ATTEMPTS
    delay = settings.CONTENT_PROCESSING_RETRY_SECONDS
    try:
        link_preview_process(item_id=item_id)
    except ProcessingFailed as failure:
        if failure.attempts < limit:
            raise self.retry(exc=failure, countdown=delay * failure.attempts) from failure
    except Exception as error:  # the database is down: as process_version does
        if self.request.retries < limit * 3:
            raise self.retry(exc=error, countdown=delay) from error
        raise


def link_previews_requeue(*, older_than: timedelta | None = None, limit: int = SWEEP_BATCH) -> int:
    """Queue again the current schema's link previews pending since before ``older_than``."""
    if older_than is None:
        older_than = timedelta(seconds=settings.CONTENT_PROCESSING_SWEEP_AFTER_SECONDS)
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            LinkPreview.objects.filter(status=Processing.PENDING, queued_at__lt=now - older_than)
            .order_by("queued_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            LinkPreview.objects.filter(pk__in=ids).update(queued_at=now)
            transaction.on_commit(
                lambda: [preview_link.delay(item_id=pk) for pk in ids], robust=True
            )
    return len(ids)


def versions_requeue(*, older_than: timedelta | None = None, limit: int = SWEEP_BATCH) -> int:
    """Queue again the current schema's versions pending since before ``older_than`` ago.

    Marks them queued now (so a slow queue is not flooded every sweep) and sends the
    task after commit; returns how many. A send that fails (broker down) leaves them
    for the next sweep.
    """
    if older_than is None:
        older_than = timedelta(seconds=settings.CONTENT_PROCESSING_SWEEP_AFTER_SECONDS)
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            ContentVersion.objects.filter(PENDING, processing_queued_at__lt=now - older_than)
            .order_by("processing_queued_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            ContentVersion.objects.filter(pk__in=ids).update(processing_queued_at=now)
            transaction.on_commit(
                lambda: [process_version.delay(version_id=pk) for pk in ids], robust=True
            )
    return len(ids)


@shared_task(name="content.sweep")
def sweep() -> dict[str, int]:
    """Beat: queue again the work that waited too long in every live institution, and
    remove temporary copies left by killed processes on this machine."""
    connection.set_schema_to_public()
    requeued: dict[str, int] = {}
    for tenant in Tenant.objects.exclude(status=TenantStatus.DELETING).exclude(
        schema_name="public"
    ):
        try:
            with tenant_context(tenant):
                count = versions_requeue() + link_previews_requeue()
            if count:
                requeued[tenant.slug] = count
        except Exception:  # one institution's trouble never stops the others
            log.exception("content.sweep_tenant_failed", extra={"tenant": tenant.slug})
    connection.set_schema_to_public()
    removed = temp_files_sweep()
    if requeued:
        log.info("content.sweep_requeued", extra={"requeued": requeued})
    return {**requeued, "temp_files_removed": removed}


@worker_ready.connect
@worker_process_init.connect
def _sweep_temp_files_at_start(**_kwargs) -> None:
    # A worker (or a pool process replacing one that was killed) cleans up after its
    # predecessor at once: the copies of processes that no longer run.
    with contextlib.suppress(Exception):
        temp_files_sweep()
