"""Background work on versions (Celery; tenant-schemas-celery runs each task in its institution).

Failures are recorded on the version and retried; the upload that queued the work
has long been answered.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile

from celery import shared_task
from django.conf import settings
from django.db import transaction

from tenant_apps.blobs.services import blob_acquire, blob_staged
from tenant_apps.blobs.storage import blob_key, blob_storage, object_read
from tenant_apps.blobs.tenancy import current_tenant
from tenant_apps.content.extraction import ExtractionRefused, can_extract, extract_text
from tenant_apps.content.models import ContentVersion, Processing
from tenant_apps.content.processing import can_preview, render_preview

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _local_copy(tenant, version: ContentVersion):
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - removed in finally
        prefix="oae-process-", dir=settings.FILE_UPLOAD_TEMP_DIR, delete=False
    )
    try:
        with handle:
            for chunk in object_read(blob_storage(), blob_key(tenant.uuid, version.blob.sha256)):
                handle.write(chunk)
        yield handle.name
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)


def version_process(*, version_id: int) -> ContentVersion | None:
    """Make the preview and extract the text of one version (in the current schema).

    Raises on failure after recording it on the version (attempts and the error).
    """
    version = ContentVersion.objects.select_related("blob").filter(pk=version_id).first()
    if version is None:
        return None
    wants_preview = version.preview_status == Processing.PENDING
    wants_text = version.text_status == Processing.PENDING
    if not (wants_preview or wants_text):
        return version
    tenant = current_tenant()
    mime = version.mime_type
    try:
        with _local_copy(tenant, version) as path:
            preview = render_preview(path, mime) if wants_preview and can_preview(mime) else None
            text, refused = None, ""
            if wants_text and can_extract(mime):
                try:
                    text = extract_text(path, mime)
                except ExtractionRefused as error:
                    refused = str(error)  # recorded, not retried: the file will not change
        with transaction.atomic():
            locked = ContentVersion.objects.select_for_update().get(pk=version.pk)
            if wants_preview:
                if preview is not None and locked.preview_blob_id is None:
                    with blob_staged(io.BytesIO(preview)) as staged:
                        locked.preview_blob = blob_acquire(tenant=tenant, staged=staged)
                locked.preview_status = Processing.DONE if preview else Processing.NONE
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
    except Exception as error:
        attempts = version.processing_attempts + 1
        final = attempts >= settings.CONTENT_PROCESSING_ATTEMPTS
        updates = {
            "processing_attempts": attempts,
            "processing_error": f"{type(error).__name__}: {error}"[:500],
        }
        if final:
            if wants_preview:
                updates["preview_status"] = Processing.FAILED
            if wants_text:
                updates["text_status"] = Processing.FAILED
        ContentVersion.objects.filter(pk=version.pk).update(**updates)
        log.warning("content.processing_failed", extra={"version": version.pk, "final": final})
        raise


@shared_task(name="content.process_version", bind=True, max_retries=None)
def process_version(self, version_id: int) -> None:
    try:
        version_process(version_id=version_id)
    except Exception as error:
        attempts = (
            ContentVersion.objects.filter(pk=version_id)
            .values_list("processing_attempts", flat=True)
            .first()
            or 0
        )
        if attempts < settings.CONTENT_PROCESSING_ATTEMPTS:
            raise self.retry(exc=error, countdown=30 * attempts) from error
