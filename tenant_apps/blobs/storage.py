"""The blob storage: Django's storage API (django-storages S3, or the filesystem).

``STORAGES["blobs"]`` picks the backend (``BLOB_STORAGE=s3|filesystem``). Every key
lives under the institution's own prefix, so export and purge of an institution
are exact and no two institutions ever share an object.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

from django.core.files import File
from django.core.files.storage import Storage, storages
from django.utils.translation import gettext_lazy as _
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from config.errors import DomainError

CHUNK = 1024 * 1024


class BlobS3Storage(S3Storage):
    """django-storages' S3 backend, writing a file that is on local disk by its path.

    ``S3Storage._save`` hands any file to ``upload_fileobj``, which reads every part
    into memory before sending it (parts in flight x part size of memory per upload).
    A staged blob is a file on disk: ``upload_file`` (what a plain boto3 client uses)
    reads each part from the file as it is sent, so the same part size and
    concurrency cost far less memory. Anything else takes the usual way.
    """

    def _save(self, name, content):
        path = _local_path(content)
        if path is None:
            return super()._save(name, content)
        cleaned = clean_name(name)
        key = self._normalize_name(cleaned)
        params = {"ContentType": "application/octet-stream", **self.get_object_parameters(key)}
        if self.default_acl:
            params.setdefault("ACL", self.default_acl)
        self.bucket.Object(key).upload_file(path, ExtraArgs=params, Config=self.transfer_config)
        return cleaned


def _local_path(content) -> str | None:
    """The path of the regular file ``content`` reads from, from its start; None otherwise."""
    handle = getattr(content, "file", content)
    path = getattr(handle, "name", None)
    if not isinstance(path, str) or not os.path.isfile(path):
        return None
    try:
        if handle.tell() != 0 or os.fstat(handle.fileno()).st_ino != os.stat(path).st_ino:
            return None
    except (AttributeError, OSError, ValueError):
        return None
    return path


class BlobWriteError(DomainError):
    """The object could not be written, or what was written is not what was sent.

    Nothing was saved; every edge answers 503 and asks for another try.
    """

    status = 503
    slug = "storage-unavailable"
    detail = _("The file could not be stored just now; nothing was saved. Try again.")

    @property
    def retry_after(self) -> int:  # type: ignore[override] - as every 503 (config.outages)
        from django.conf import settings

        return settings.SERVICE_UNAVAILABLE_RETRY_AFTER


def blob_storage() -> Storage:
    return storages["blobs"]


def is_s3(storage: Storage) -> bool:
    return hasattr(storage, "bucket") and hasattr(storage, "connection")


def blob_prefix(tenant_uuid) -> str:
    return f"tenants/{tenant_uuid}/blobs/"


def blob_key(tenant_uuid, sha256: str) -> str:
    return f"{blob_prefix(tenant_uuid)}{sha256}"


def object_hash(storage: Storage, key: str) -> str:
    hasher = hashlib.sha256()
    with storage.open(key, "rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def object_write(
    storage: Storage, key: str, path: str, *, sha256: str, size: int, verify_bytes: int
) -> None:
    """Write the file at ``path`` to ``key`` and check it arrived whole.

    The size is always checked; objects up to ``verify_bytes`` are read back and
    hashed too. On a mismatch the object is removed and BlobWriteError raised.
    """
    try:
        with open(path, "rb") as handle:
            stored_as = storage.save(key, File(handle, name=key))
        if stored_as != key:  # a backend that renames would break content addressing
            storage.delete(stored_as)
            raise BlobWriteError(f"the storage renamed {key} to {stored_as}")
        if storage.size(key) != size or (
            size <= verify_bytes and object_hash(storage, key) != sha256
        ):
            storage.delete(key)
            raise BlobWriteError(f"{key} does not hold the bytes that were sent")
    except BlobWriteError:
        raise
    except Exception as error:  # botocore, OSError: the caller sees one kind of failure
        raise BlobWriteError(f"writing {key} failed: {error}") from error


def object_is_whole(storage: Storage, key: str, size: int) -> bool:
    try:
        return storage.exists(key) and storage.size(key) == size
    except Exception:
        return False


class StorageUnavailable(Exception):
    """The object store cannot be reached (or timed out): answer 503 and try again later."""


class ObjectMissing(Exception):
    """The store answered, and it holds no object under this key."""


def object_read(
    storage: Storage, key: str, *, start: int = 0, end: int | None = None
) -> Iterator[bytes]:
    """The object's bytes from ``start`` to ``end`` (inclusive), in chunks, never all at once.

    The object is opened *now*, before the iterator is returned: a caller that builds a
    streaming response from it learns of an unreachable store (StorageUnavailable) or a
    missing object (ObjectMissing) while it can still answer with a status code, not
    halfway through a body that has already started.
    """
    if is_s3(storage):
        from botocore.exceptions import BotoCoreError, ClientError

        params = {}
        if start or end is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            body = storage.bucket.Object(storage._normalize_name(key)).get(**params)["Body"]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404"):
                raise ObjectMissing(key) from error
            raise StorageUnavailable(f"reading {key}: {code or error}") from error
        except BotoCoreError as error:  # connection refused, timeouts, closed connections
            raise StorageUnavailable(f"reading {key}: {error}") from error
        return _s3_chunks(body)
    try:
        handle = storage.open(key, "rb")
    except FileNotFoundError as error:
        raise ObjectMissing(key) from error
    except OSError as error:
        raise StorageUnavailable(f"reading {key}: {error}") from error
    return _file_chunks(handle, start, end)


def _s3_chunks(body) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


def _file_chunks(handle, start: int, end: int | None) -> Iterator[bytes]:
    remaining = None if end is None else end - start + 1
    with handle:
        handle.seek(start)
        while remaining is None or remaining > 0:
            chunk = handle.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


def object_url(storage: Storage, key: str, *, seconds: int, filename_header: str, mime: str):
    """A short-lived presigned URL (S3 only; None for storages without one)."""
    if not is_s3(storage):
        return None
    return storage.url(
        key,
        parameters={"ResponseContentDisposition": filename_header, "ResponseContentType": mime},
        expire=seconds,
    )


def object_keys(storage: Storage, tenant_uuid) -> list[str]:
    """The hashes of every object under the institution's blob prefix."""
    try:
        _dirs, files = storage.listdir(blob_prefix(tenant_uuid).rstrip("/"))
    except FileNotFoundError:
        return []
    return files
