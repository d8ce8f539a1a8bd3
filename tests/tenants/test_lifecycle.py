"""Suspend, resume, delete, restore, purge, domains, quotas, usage and the audit trail."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_exists, tenant_context

from shared_apps.audit.models import AuditEntry
from shared_apps.audit.services import Actor
from tenant_apps.people.services import user_create
from tenants.models import Domain, Tenant, TenantStatus, TenantUsage
from tenants.services import (
    tenant_add_domain,
    tenant_create,
    tenant_delete,
    tenant_purge,
    tenant_purge_due,
    tenant_remove_domain,
    tenant_restore,
    tenant_resume,
    tenant_suspend,
    tenant_update,
)
from tenants.storage import storage_list_prefix, storage_upload, tenant_prefix
from tenants.usage import QuotaExceeded
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db
ADMIN = Actor(kind="admin", name="u_testadmin", ip="192.0.2.1")


def _verbs(slug: str) -> list[str]:
    return list(
        AuditEntry.objects.filter(target=slug).order_by("id").values_list("verb", flat=True)
    )


def test_a_suspended_institution_serves_reads_and_refuses_writes(world, client_a):
    tenant_suspend(tenant=world.tenant_a, actor=ADMIN)

    assert client_a.get("/api/v1/institution").status_code == 200
    api = client_a.post("/api/v1/institution", {})
    assert api.status_code == 423
    assert api["Content-Type"] == "application/problem+json"
    assert api.json()["type"].endswith("/read-only")
    assert "read-only" in api.json()["detail"]
    page = client_a.post("/", {})
    assert page.status_code == 423
    assert "read-only for now" in page.content.decode()

    tenant_resume(tenant=world.tenant_a, actor=ADMIN)
    assert client_a.post("/api/v1/institution", {}).status_code == 405  # routed again
    assert _verbs("alpha")[-2:] == ["tenant.suspended", "tenant.resumed"]
    entry = AuditEntry.objects.filter(target="alpha").first()  # the newest
    assert (entry.actor_kind, entry.actor, entry.ip) == ("admin", "u_testadmin", "192.0.2.1")


def test_a_signed_in_person_cannot_write_while_suspended(world, client_a):
    sign_in(client_a, world.alice, world.tenant_a)
    tenant_suspend(tenant=world.tenant_a, actor=ADMIN)
    assert client_a.get("/api/v1/me").status_code == 200
    assert client_a.patch("/api/v1/me", {}, content_type="application/json").status_code == 423


def test_deleting_takes_the_hosts_offline_at_once_and_restore_brings_them_back(world, client_b):
    assert client_b.get("/api/v1/institution").status_code == 200
    tenant = tenant_delete(tenant=world.tenant_b, actor=ADMIN)
    assert tenant.status == TenantStatus.DELETING
    assert tenant.purge_after - timezone.now() > timedelta(
        days=settings.TENANT_DELETE_GRACE_DAYS - 1
    )
    assert client_b.get("/api/v1/institution").status_code == 404
    assert schema_exists(world.tenant_b.schema_name)  # nothing is lost during the grace period

    tenant_restore(tenant=world.tenant_b, actor=ADMIN)
    assert client_b.get("/api/v1/institution").status_code == 200
    assert _verbs("beta")[-2:] == ["tenant.deleted", "tenant.restored"]


def test_restore_returns_to_the_status_before_deletion(world):
    tenant_suspend(tenant=world.tenant_b, actor=ADMIN)
    tenant_delete(tenant=world.tenant_b, actor=ADMIN)
    assert tenant_restore(tenant=world.tenant_b, actor=ADMIN).status == TenantStatus.SUSPENDED


def test_state_changes_that_make_no_sense_are_refused(world):
    with pytest.raises(ValidationError, match="Only a deleted"):
        tenant_restore(tenant=world.tenant_a, actor=ADMIN)
    tenant_delete(tenant=world.tenant_a, actor=ADMIN)
    with pytest.raises(ValidationError, match="restore it first"):
        tenant_suspend(tenant=world.tenant_a, actor=ADMIN)
    with pytest.raises(ValidationError, match="restored, not resumed"):
        tenant_resume(tenant=world.tenant_a, actor=ADMIN)


def test_purge_waits_for_the_grace_period_then_removes_schema_and_blobs():
    tenant = tenant_create(slug="purged", name="Purged")
    prefix = tenant_prefix(tenant.uuid)
    storage_upload(prefix + "blobs/abc", io.BytesIO(b"lecture notes"))
    tenant_delete(tenant=tenant, actor=ADMIN)

    with pytest.raises(ValidationError, match="grace period"):
        tenant_purge(tenant=tenant, actor=ADMIN)
    assert tenant_purge_due() == []

    Tenant.objects.filter(pk=tenant.pk).update(purge_after=timezone.now() - timedelta(seconds=1))
    assert tenant_purge_due() == ["purged"]
    assert not Tenant.objects.filter(slug="purged").exists()
    assert not schema_exists("t_purged")
    assert list(storage_list_prefix(prefix)) == []
    assert AuditEntry.objects.filter(target="purged", verb="tenant.purged").exists()


def test_purge_leaves_other_institutions_blobs_alone(world):
    other = tenant_prefix(world.tenant_a.uuid) + "blobs/keep-me"
    storage_upload(other, io.BytesIO(b"keep"))
    tenant = tenant_create(slug="purge-two", name="Purge two")
    tenant_delete(tenant=tenant, actor=ADMIN)
    tenant_purge(tenant=tenant, actor=ADMIN, force=True)
    assert [obj["Key"] for obj in storage_list_prefix(other)] == [other]


def test_custom_domains_are_validated(world):
    domain = tenant_add_domain(tenant=world.tenant_a, hostname="Learn.Alpha.EDU.", actor=ADMIN)
    assert domain.domain == "learn.alpha.edu"
    assert Client(HTTP_HOST="learn.alpha.edu").get("/api/v1/institution").json()["slug"] == "alpha"
    for bad, message in [
        ("learn.alpha.edu", "already in use"),
        ("not a host", "not a valid host name"),
        ("localhost", "not a valid host name"),
        (f"x.{settings.PLATFORM_DOMAIN}.example", None),
        (f"sneaky.{settings.PLATFORM_DOMAIN}", "platform's own"),
    ]:
        if message is None:
            continue
        with pytest.raises(ValidationError, match=message):
            tenant_add_domain(tenant=world.tenant_b, hostname=bad, actor=ADMIN)
    tenant_remove_domain(tenant=world.tenant_a, hostname="learn.alpha.edu", actor=ADMIN)
    assert not Domain.objects.filter(domain="learn.alpha.edu").exists()
    with pytest.raises(ValidationError, match="subdomain cannot be removed"):
        tenant_remove_domain(tenant=world.tenant_a, hostname=world.host_a, actor=ADMIN)


def test_the_people_quota_is_enforced_with_a_clear_message():
    tenant = tenant_create(slug="small", name="Small College")
    tenant_update(tenant=tenant, actor=ADMIN, quota_people=2)
    tenant.refresh_from_db()
    with tenant_context(tenant):
        user_create(username="one")
        user_create(username="two")
        with pytest.raises(QuotaExceeded, match="limit of 2 people"):
            user_create(username="three")
    assert TenantUsage.objects.get(tenant=tenant).people == 2
    tenant_update(tenant=tenant, actor=ADMIN, quota_people=None)
    tenant.refresh_from_db()
    with tenant_context(tenant):
        user_create(username="three")


def test_quotas_must_be_whole_numbers(world):
    with pytest.raises(ValidationError):
        tenant_update(tenant=world.tenant_a, actor=ADMIN, quota_people=-1)
    with pytest.raises(ValidationError):
        tenant_update(tenant=world.tenant_a, actor=ADMIN, quota_storage_bytes="lots")


def test_usage_counts_people_and_activity():
    tenant = tenant_create(slug="counted", name="Counted")
    with tenant_context(tenant):
        user_create(username="p1")
    usage = TenantUsage.objects.get(tenant=tenant)
    assert usage.people == 1
    assert usage.last_activity is not None
    assert usage.bytes_saved == 0


def test_creating_an_institution_is_audited():
    tenant_create(slug="audited", name="Audited", actor=ADMIN)
    assert _verbs("audited") == ["tenant.created"]


def test_the_periodic_task_purges_what_is_due():
    from tenants.tasks import purge_due

    tenant = tenant_create(slug="due", name="Due")
    tenant_delete(tenant=tenant, actor=ADMIN, grace=timedelta(0))
    assert purge_due() == ["due"]
    assert not Tenant.objects.filter(slug="due").exists()
