"""Receiving uploads: a raw body is hashed to disk in bounded chunks, like a form's file part."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from django.core.files import File

from tenant_apps.blobs.storage import _local_path
from tenant_apps.blobs.uploads import (
    BodyIncomplete,
    BodyTooLarge,
    HashingFileUploadHandler,
    raw_upload,
)

MIB = 1024 * 1024


class RecordingStream(io.BytesIO):
    """A request body that remembers how much each read asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


@pytest.fixture
def temp_dir(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def test_a_raw_body_is_hashed_to_disk_one_chunk_at_a_time(temp_dir):
    data = os.urandom(3 * MIB + 17)
    stream = RecordingStream(data + b"trailing bytes beyond the length")
    with raw_upload(
        stream, length=len(data), limit=4 * MIB, filename="a/../notes.pdf", content_type="x/y"
    ) as upload:
        assert upload.sha256 == hashlib.sha256(data).hexdigest()
        assert upload.size == len(data)
        assert upload.name == "notes.pdf"
        with open(upload.temporary_file_path(), "rb") as handle:
            assert handle.read() == data
        assert os.path.dirname(upload.temporary_file_path()) == str(temp_dir)
    assert all(0 < asked <= MIB for asked in stream.asked), stream.asked
    assert sum(stream.asked) == len(data)  # never a byte past Content-Length
    assert list(temp_dir.iterdir()) == []  # removed afterwards


def test_a_body_longer_than_the_limit_is_refused_before_a_byte_is_read(temp_dir):
    stream = RecordingStream(os.urandom(2000))
    with (
        pytest.raises(BodyTooLarge),
        raw_upload(stream, length=2000, limit=1999, filename="big.bin", content_type=""),
    ):
        pass
    assert stream.asked == []
    assert list(temp_dir.iterdir()) == []


def test_a_body_that_ends_early_is_refused_and_leaves_no_file(temp_dir):
    stream = RecordingStream(os.urandom(MIB + 10))
    with (
        pytest.raises(BodyIncomplete),
        raw_upload(stream, length=2 * MIB, limit=4 * MIB, filename="cut.bin", content_type=""),
    ):
        pass
    assert list(temp_dir.iterdir()) == []


def test_a_disk_failure_while_absorbing_a_chunk_fails_the_upload(temp_dir, monkeypatch):
    def full_disk(self, chunk):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(HashingFileUploadHandler, "_absorb", full_disk)
    with (
        pytest.raises(OSError, match="No space"),
        raw_upload(
            io.BytesIO(os.urandom(3 * MIB)),
            length=3 * MIB,
            limit=4 * MIB,
            filename="f",
            content_type="",
        ),
    ):
        pass
    assert list(temp_dir.iterdir()) == []


def test_the_multipart_handler_keeps_chunks_in_order(temp_dir):
    chunks = [os.urandom(MIB) for _ in range(5)] + [b"end"]
    handler = HashingFileUploadHandler()
    handler.new_file("file", "parts.bin", "application/octet-stream", None)
    offset = 0
    for chunk in chunks:
        assert handler.receive_data_chunk(chunk, offset) is None
        offset += len(chunk)
    upload = handler.file_complete(offset)
    try:
        assert upload.read() == b"".join(chunks)
        assert upload.sha256 == hashlib.sha256(b"".join(chunks)).hexdigest()
    finally:
        upload.close()


def test_only_a_file_read_from_its_start_is_sent_by_its_path(tmp_path):
    path = tmp_path / "staged"
    path.write_bytes(b"0123456789")
    assert _local_path(io.BytesIO(b"in memory")) is None
    with path.open("rb") as handle:
        assert _local_path(File(handle, name="key")) == str(path)
        handle.read(3)
        assert _local_path(File(handle, name="key")) is None
