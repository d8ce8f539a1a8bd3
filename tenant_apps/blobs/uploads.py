"""Receiving uploaded bytes: streamed to a temporary file while hashed, never whole in memory.

Two kinds of request body carry a file. A ``multipart/form-data`` body is parsed by
Django, which hands every file part to HashingFileUploadHandler. A raw body (the
file's bytes are the whole body, for API clients) goes through ``raw_upload``, which
feeds the same handler from the request stream. Either way the result is a
TemporaryUploadedFile that carries its SHA-256 and size, so the blob store need not
read the bytes a second time, and the same service stores it.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO

from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler

_absorbers: ThreadPoolExecutor | None = None
_absorbers_lock = threading.Lock()


def _absorber() -> ThreadPoolExecutor:
    """Threads that hash and write chunks while the request thread receives the next one."""
    global _absorbers
    with _absorbers_lock:
        if _absorbers is None:
            _absorbers = ThreadPoolExecutor(max_workers=16, thread_name_prefix="oae-upload")
        return _absorbers


class HashingFileUploadHandler(TemporaryFileUploadHandler):
    """Every chunk goes to the temporary file and the SHA-256, one chunk behind the receiving.

    Hashing (no SHA extensions here: ~2 s per GiB) and receiving (the socket, and for
    a form Django's multipart parser) each take a core; hashlib and file writes
    release the GIL, so a pool thread absorbs chunk n while the request thread
    receives chunk n+1. One chunk at most is in flight per upload (bounded memory,
    order kept); a failure in the thread (a full disk) is raised at the next chunk.
    """

    # 1 MiB chunks: fewer Python-level iterations for large files.
    chunk_size = 1024 * 1024

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self._hasher = hashlib.sha256()
        self._pending: Future | None = None

    def _absorb(self, chunk: bytes) -> None:
        self._hasher.update(chunk)
        self.file.write(chunk)

    def _settle(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self._settle()
        self._pending = _absorber().submit(self._absorb, bytes(raw_data))
        return None  # consumed: no later handler sees the chunk

    def file_complete(self, file_size: int):
        self._settle()
        uploaded = super().file_complete(file_size)
        uploaded.sha256 = self._hasher.hexdigest()
        return uploaded

    def upload_interrupted(self) -> None:
        with contextlib.suppress(Exception):
            self._settle()
        super().upload_interrupted()


class BodyTooLarge(Exception):
    """The body is longer than the limit (the API answers 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is longer than {limit} bytes")
        self.limit = limit


class BodyIncomplete(Exception):
    """The body ended before its announced length (the client went away)."""


@contextlib.contextmanager
def raw_upload(
    stream: IO[bytes], *, length: int, limit: int, filename: str, content_type: str
) -> Iterator[TemporaryUploadedFile]:
    """The ``length`` bytes of ``stream`` as a hashed temporary file, removed afterwards.

    Reads at most one chunk (1 MiB) at a time into HashingFileUploadHandler, the
    handler Django's multipart parser uses, so a raw body and a form's file part
    end up alike. Raises BodyTooLarge before reading anything when ``length``
    exceeds ``limit``; no read ever asks for more than ``length`` bytes in all, so
    a body cannot grow past the limit while it streams. Raises BodyIncomplete
    (and removes the file) when fewer than ``length`` bytes arrive.
    """
    if length > limit:
        raise BodyTooLarge(limit)
    handler = HashingFileUploadHandler()
    handler.new_file("file", filename, content_type or "application/octet-stream", length)
    received = 0
    try:
        while received < length:
            chunk = stream.read(min(handler.chunk_size, length - received))
            if not chunk:
                raise BodyIncomplete(f"the body ended after {received} of {length} bytes")
            received += len(chunk)
            handler.receive_data_chunk(chunk, received - len(chunk))
        upload = handler.file_complete(received)
    except BaseException:
        handler.upload_interrupted()  # waits for the chunk in flight, removes the file
        raise
    try:
        yield upload
    finally:
        upload.close()
