"""The blob store: stored once per content, written before its row, counted, collected, reconciled.

Every test runs against both storage backends (S3 on SeaweedFS, and the filesystem).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from datetime import timedelta

import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from tenant_apps.blobs.models import Blob
from tenant_apps.blobs.services import (
    blob_acquire,
    blob_collect_garbage,
    blob_put_many,
    blob_reconcile,
    blob_release,
    blob_staged,
)
from tenant_apps.blobs.storage import (
    BlobWriteError,
    blob_key,
    blob_storage,
    object_hash,
    object_keys,
    object_read,
)
from tenants.models import TenantUsage


def _bytes(size: int = 4096) -> bytes:
    return os.urandom(size)


def _acquire(tenant, data: bytes) -> Blob:
    with blob_staged(io.BytesIO(data)) as staged, transaction.atomic():
        return blob_acquire(tenant=tenant, staged=staged)


def test_it_stores_identical_bytes_once_under_the_institutions_prefix(backend, in_a):
    data = _bytes()
    first = _acquire(in_a, data)
    second = _acquire(in_a, data)
    assert first.pk == second.pk
    assert Blob.objects.get(pk=first.pk).refs == 2
    key = blob_key(in_a.uuid, first.sha256)
    assert key == f"tenants/{in_a.uuid}/blobs/{first.sha256}"
    assert object_hash(blob_storage(), key) == first.sha256
    assert object_keys(blob_storage(), in_a.uuid).count(first.sha256) == 1


def test_an_existing_blob_is_not_written_again(backend, in_a, monkeypatch):
    data = _bytes()
    _acquire(in_a, data)
    storage = blob_storage()

    def refuse(*args, **kwargs):
        raise AssertionError("the bytes were written a second time")

    monkeypatch.setattr(storage, "save", refuse)
    assert _acquire(in_a, data).refs == 2


def test_many_are_written_at_once_each_once_and_none_already_vouched_for(backend, in_a):
    known = _bytes()
    _acquire(in_a, known)
    fresh = [_bytes() for _ in range(5)]
    datas = [known, *fresh, fresh[0]]  # a page repeated in the same document
    with contextlib.ExitStack() as stack:
        staged = [stack.enter_context(blob_staged(io.BytesIO(data))) for data in datas]
        written = blob_put_many(tenant=in_a, staged=staged, threads=3)
        assert written == [False, True, True, True, True, True, True]
        with transaction.atomic():
            blobs = [
                blob_acquire(tenant=in_a, staged=one, written=flag)
                for one, flag in zip(staged, written, strict=True)
            ]
    keys = object_keys(blob_storage(), in_a.uuid)
    for data, blob in zip(datas, blobs, strict=True):
        assert blob.sha256 == hashlib.sha256(data).hexdigest()
        assert keys.count(blob.sha256) == 1
        assert object_hash(blob_storage(), blob_key(in_a.uuid, blob.sha256)) == blob.sha256
    assert Blob.objects.get(pk=blobs[1].pk).refs == 2  # the repeated page: two references


def test_a_failed_write_among_many_raises(backend, in_a, monkeypatch):
    storage = blob_storage()
    calls = []
    real_save = storage.save

    def flaky(name, content, *args, **kwargs):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_save(name, content, *args, **kwargs)

    monkeypatch.setattr(storage, "save", flaky)
    with contextlib.ExitStack() as stack:
        staged = [stack.enter_context(blob_staged(io.BytesIO(_bytes()))) for _ in range(3)]
        with pytest.raises(BlobWriteError):
            blob_put_many(tenant=in_a, staged=staged, threads=1)


def test_staging_hashes_while_streaming(backend, in_a):
    data = _bytes(3 * 1024 * 1024 + 17)
    with blob_staged(io.BytesIO(data)) as staged:
        import hashlib

        assert staged.sha256 == hashlib.sha256(data).hexdigest()
        assert staged.size == len(data)
        path = staged.path
        assert os.path.exists(path)
    assert not os.path.exists(path)


def test_ranges_are_read_without_the_whole_object(backend, in_a):
    data = _bytes(10_000)
    blob = _acquire(in_a, data)
    key = blob_key(in_a.uuid, blob.sha256)
    assert b"".join(object_read(blob_storage(), key, start=100, end=199)) == data[100:200]
    assert b"".join(object_read(blob_storage(), key, start=9_990)) == data[9_990:]


def test_a_storage_error_creates_no_row(backend, in_a, monkeypatch):
    storage = blob_storage()

    def fail(*args, **kwargs):
        raise OSError("storage is down")

    monkeypatch.setattr(storage, "save", fail)
    data = _bytes()
    with pytest.raises(BlobWriteError):
        _acquire(in_a, data)
    assert not Blob.objects.exists()


def test_a_short_write_is_detected_and_removed(backend, in_a, monkeypatch):
    storage = blob_storage()
    real_save = storage.save

    def truncate(name, content, **kwargs):
        return real_save(name, io.BytesIO(content.read()[:-1]), **kwargs)

    monkeypatch.setattr(storage, "save", truncate)
    data = _bytes()
    with pytest.raises(BlobWriteError):
        _acquire(in_a, data)
    monkeypatch.undo()
    assert not Blob.objects.exists()
    import hashlib

    assert not storage.exists(blob_key(in_a.uuid, hashlib.sha256(data).hexdigest()))


def test_a_database_error_after_the_write_leaves_garbage_the_reconciler_removes(backend, in_a):
    referenced = _acquire(in_a, _bytes())
    data = _bytes()
    with pytest.raises(RuntimeError), transaction.atomic():
        with blob_staged(io.BytesIO(data)) as staged:
            blob_acquire(tenant=in_a, staged=staged)
        raise RuntimeError("the database failed before the commit")
    report = blob_reconcile(tenant=in_a)
    stray = [sha for sha in report.objects_without_rows if sha != referenced.sha256]
    assert len(stray) >= 1
    assert referenced.sha256 not in report.objects_without_rows
    # Young objects may belong to an upload in flight: left alone.
    assert blob_reconcile(tenant=in_a, repair=True).removed_objects == []
    repaired = blob_reconcile(tenant=in_a, repair=True, grace=timedelta(0))
    assert set(stray) <= set(repaired.removed_objects)
    assert referenced.sha256 not in repaired.removed_objects
    key = blob_key(in_a.uuid, referenced.sha256)
    assert object_hash(blob_storage(), key) == referenced.sha256


def test_unreferenced_blobs_go_after_the_grace_period(backend, in_a):
    blob = _acquire(in_a, _bytes())
    kept = _acquire(in_a, _bytes())
    blob_release(blob_id=blob.pk)
    assert Blob.objects.get(pk=blob.pk).unreferenced_since is not None
    assert blob_collect_garbage(tenant=in_a, grace=timedelta(hours=1)) == 0
    assert blob_collect_garbage(tenant=in_a, grace=timedelta(0)) == 1
    assert not Blob.objects.filter(pk=blob.pk).exists()
    assert not blob_storage().exists(blob_key(in_a.uuid, blob.sha256))
    assert blob_storage().exists(blob_key(in_a.uuid, kept.sha256))


def test_a_storage_error_during_collection_keeps_the_row(backend, in_a, monkeypatch):
    blob = _acquire(in_a, _bytes())
    blob_release(blob_id=blob.pk)

    def fail(name):
        raise OSError("storage is down")

    monkeypatch.setattr(blob_storage(), "delete", fail)
    assert blob_collect_garbage(tenant=in_a, grace=timedelta(0)) == 0
    assert Blob.objects.filter(pk=blob.pk, refs=0).exists()


def test_acquiring_a_collected_candidate_rewrites_lost_bytes(backend, in_a):
    data = _bytes()
    blob = _acquire(in_a, data)
    blob_release(blob_id=blob.pk)
    # The collector deleted the object but its row deletion failed (a crash).
    blob_storage().delete(blob_key(in_a.uuid, blob.sha256))
    again = _acquire(in_a, data)
    assert again.pk == blob.pk and again.refs == 1
    assert object_hash(blob_storage(), blob_key(in_a.uuid, blob.sha256)) == blob.sha256


def test_rows_without_objects_are_reported_and_repaired(backend, in_a):
    lost = _acquire(in_a, _bytes())
    orphan_row = _acquire(in_a, _bytes())
    blob_release(blob_id=orphan_row.pk)
    for blob in (lost, orphan_row):
        blob_storage().delete(blob_key(in_a.uuid, blob.sha256))
    report = blob_reconcile(tenant=in_a, repair=True)
    assert {lost.sha256, orphan_row.sha256} <= set(report.rows_without_objects)
    assert report.lost == [lost.sha256]
    assert report.removed_rows == [orphan_row.sha256]
    assert Blob.objects.get(pk=lost.pk).missing_since is not None
    assert not Blob.objects.filter(pk=orphan_row.pk).exists()


def test_two_institutions_storing_the_same_bytes_get_two_objects(backend, world, db):
    data = _bytes()
    with schema_context(world.tenant_a.schema_name):
        in_a = _acquire(world.tenant_a, data)
    with schema_context(world.tenant_b.schema_name):
        in_b = _acquire(world.tenant_b, data)
    storage = blob_storage()
    assert storage.exists(blob_key(world.tenant_a.uuid, in_a.sha256))
    assert storage.exists(blob_key(world.tenant_b.uuid, in_b.sha256))
    assert blob_key(world.tenant_a.uuid, in_a.sha256) != blob_key(world.tenant_b.uuid, in_b.sha256)


def test_stored_bytes_are_counted_once(in_a, django_capture_on_commit_callbacks):
    data = _bytes(5000)
    before = TenantUsage.objects.get(tenant=in_a).bytes_stored
    with django_capture_on_commit_callbacks(execute=True):
        _acquire(in_a, data)
    with django_capture_on_commit_callbacks(execute=True):
        _acquire(in_a, data)
    assert TenantUsage.objects.get(tenant=in_a).bytes_stored == before + 5000
