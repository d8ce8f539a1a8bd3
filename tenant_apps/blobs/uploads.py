"""An upload handler that streams every uploaded file to a temporary file while hashing it.

Django's default handlers keep small uploads in memory and hash nothing; this one
never holds a file in memory (chunks go straight to disk) and leaves the SHA-256 and
size on the uploaded file, so the blob store need not read the bytes a second time.
"""

from __future__ import annotations

import hashlib

from django.core.files.uploadhandler import TemporaryFileUploadHandler


class HashingFileUploadHandler(TemporaryFileUploadHandler):
    # 1 MiB chunks: fewer Python-level iterations for large files.
    chunk_size = 1024 * 1024

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self._hasher = hashlib.sha256()

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self._hasher.update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int):
        uploaded = super().file_complete(file_size)
        uploaded.sha256 = self._hasher.hexdigest()
        return uploaded
