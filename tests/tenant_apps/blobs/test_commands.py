"""blob_gc, blob_reconcile and the periodic collector task."""

from __future__ import annotations

import io
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django_tenants.utils import schema_context

from tenant_apps.blobs.models import Blob
from tenant_apps.blobs.services import blob_acquire, blob_release, blob_staged
from tenant_apps.blobs.storage import blob_key, blob_storage
from tenant_apps.blobs.tasks import collect_garbage

pytestmark = pytest.mark.django_db


def _released_blob(tenant) -> Blob:
    with schema_context(tenant.schema_name):
        with blob_staged(io.BytesIO(os.urandom(1000))) as staged, transaction.atomic():
            blob = blob_acquire(tenant=tenant, staged=staged)
        blob_release(blob_id=blob.pk)
        return blob


def test_blob_gc_removes_unreferenced_blobs_past_the_grace(world):
    blob = _released_blob(world.tenant_a)
    out = io.StringIO()
    call_command("blob_gc", "alpha", stdout=out)
    assert "removed 0" in out.getvalue()
    call_command("blob_gc", "alpha", "--grace-hours", "0", stdout=out)
    assert "removed 1" in out.getvalue()
    assert not blob_storage().exists(blob_key(world.tenant_a.uuid, blob.sha256))


def test_the_periodic_task_collects_in_every_institution(world, settings):
    settings.BLOB_GC_GRACE_HOURS = 0
    in_a, in_b = _released_blob(world.tenant_a), _released_blob(world.tenant_b)
    removed = collect_garbage()
    assert removed["alpha"] >= 1 and removed["beta"] >= 1
    for tenant, blob in ((world.tenant_a, in_a), (world.tenant_b, in_b)):
        with schema_context(tenant.schema_name):
            assert not Blob.objects.filter(pk=blob.pk).exists()


def test_blob_reconcile_reports_and_fails_on_lost_bytes(world):
    with (
        schema_context(world.tenant_a.schema_name),
        blob_staged(io.BytesIO(os.urandom(500))) as staged,
        transaction.atomic(),
    ):
        blob = blob_acquire(tenant=world.tenant_a, staged=staged)
    blob_storage().delete(blob_key(world.tenant_a.uuid, blob.sha256))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("blob_reconcile", "alpha", "--repair", stdout=out, stderr=err)
    assert exit_info.value.code == 1
    assert f"row without object: {blob.sha256}" in out.getvalue()
    assert blob.sha256 in err.getvalue()


def test_commands_name_a_missing_institution_clearly():
    with pytest.raises(CommandError, match="no institution 'nowhere'"):
        call_command("blob_reconcile", "nowhere")
