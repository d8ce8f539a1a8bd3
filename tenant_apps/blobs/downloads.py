"""Serving a blob's bytes (files, previews, pictures, logos): one function for the UI and the API.

- ``Content-Type`` is what libmagic found in the bytes, never what the client said.
- Only raster images and plain text may display inline; everything else (HTML, SVG,
  XML, PDF, scripts, unknown) is an attachment, so user bytes never run as a page
  of the institution's origin. ``X-Content-Type-Options: nosniff`` and a sandboxing
  CSP back that up.
- ``ETag`` is the SHA-256; ``If-None-Match`` answers 304; one ``Range`` is honoured (206/416).
- Files of at least CONTENT_PRESIGNED_REDIRECT_BYTES redirect to a short-lived
  presigned S3 URL (when the blob storage is S3).
- The object is opened before the response starts: when storage is down the answer is
  a 503 (problem+json under /api/, with ``Retry-After``; see config.outages), never a
  body cut off after a 200.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from tenant_apps.blobs.models import Blob
from tenant_apps.blobs.storage import (
    ObjectMissing,
    blob_key,
    blob_storage,
    object_read,
    object_url,
)
from tenant_apps.blobs.tenancy import current_tenant

INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"}
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _security_headers(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(start, end) inclusive; None for no usable Range; False when unsatisfiable."""
    match = RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return False
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return False
    return start, end


def serve_blob(
    request: HttpRequest, *, blob: Blob, filename: str, mime: str, force_attachment: bool = False
) -> HttpResponse:
    if blob.missing_since is not None:
        # The reconciler found the object gone: say so plainly rather than fail mid-stream.
        raise Http404(_("The bytes of this file are missing from storage."))
    tenant = current_tenant()
    storage = blob_storage()
    key = blob_key(tenant.uuid, blob.sha256)
    etag = f'"{blob.sha256}"'
    mime = mime or "application/octet-stream"
    inline = mime in INLINE_TYPES and not force_attachment
    disposition = content_disposition_header(not inline, filename)
    content_type = f"{mime}; charset=utf-8" if mime == "text/plain" else mime
    if request.headers.get("If-None-Match", "") in (etag, f"W/{etag}"):
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return _security_headers(response)
    redirect_at = settings.CONTENT_PRESIGNED_REDIRECT_BYTES
    if redirect_at and blob.size >= redirect_at and "HTTP_RANGE" not in request.META:
        url = object_url(
            storage,
            key,
            seconds=settings.CONTENT_PRESIGNED_SECONDS,
            filename_header=disposition,
            mime=content_type,
        )
        if url:
            response = HttpResponseRedirect(url)
            response["Cache-Control"] = "private, no-store"
            return _security_headers(response)
    start, end, status = 0, blob.size - 1, 200
    wanted = request.META.get("HTTP_RANGE")
    if wanted:
        parsed = _parse_range(wanted, blob.size)
        if parsed is False:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{blob.size}"
            return _security_headers(response)
        if parsed:
            (start, end), status = parsed, 206
    if blob.size == 0:
        response = HttpResponse(b"", content_type=content_type)
    else:
        try:
            chunks = object_read(storage, key, start=start, end=end if status == 206 else None)
        except ObjectMissing:
            raise Http404(_("The bytes of this file are missing from storage.")) from None
        response = StreamingHttpResponse(
            chunks,
            status=status,
            content_type=content_type,
        )
    response["Content-Length"] = str(max(end - start + 1, 0))
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{blob.size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    return _security_headers(response)
