"""The institution commands: what they print, and a clear error (exit 1) on bad input."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import tenant_context

from tenant_apps.people.models import User
from tenants.models import Domain, Tenant, TenantStatus

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_tenant_create_with_an_admin():
    output = run(
        "tenant_create",
        "omega",
        "--name",
        "Omega University",
        "--admin-email",
        "it-lead@omega.example",
    )
    assert "Created Omega University at omega." in output
    assert "Admin: it-lead / " in output
    tenant = Tenant.objects.get(slug="omega")
    with tenant_context(tenant):
        admin = User.objects.get(username="it-lead")
    assert admin.is_staff and admin.has_usable_password()
    assert admin.display_name == "New member"  # never the username: others would see it


def test_tenant_create_takes_the_admins_name():
    run(
        "tenant_create",
        "omicron",
        "--name",
        "Omicron College",
        "--admin-email",
        "jsmith@omicron.example",
        "--admin-name",
        "Jo Smith",
    )
    with tenant_context(Tenant.objects.get(slug="omicron")):
        assert User.objects.get(username="jsmith").display_name == "Jo Smith"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["www", "--name", "W"], "reserved"),
        (["alpha", "--name", "A"], "already taken"),
        (["Bad_Slug", "--name", "B"], "lower-case letters"),
        (["okay", "--name", "   "], "needs a name"),
        (["okay2", "--name", "Okay", "--admin-email", "not-an-address"], "valid email"),
    ],
)
def test_tenant_create_refuses_bad_input(world, args, message):
    with pytest.raises(CommandError, match=message):
        run("tenant_create", *args)
    assert not Tenant.objects.filter(slug__in=["okay", "okay2"]).exists()


def test_tenant_list_shows_institutions_and_searches(world):
    output = run("tenant_list")
    assert "alpha" in output and "beta" in output
    output = run("tenant_list", "--search", "Beta")
    assert "beta" in output and "alpha " not in output
    assert "1 institution(s)" in output


def test_suspend_resume_delete_restore_round_trip(world):
    assert "is now Suspended" in run("tenant_suspend", "alpha")
    assert Tenant.objects.get(slug="alpha").status == TenantStatus.SUSPENDED
    assert "is now Active" in run("tenant_resume", "alpha")
    assert "hosts answer 404" in run("tenant_delete", "alpha", "--grace-days", "3")
    assert Tenant.objects.get(slug="alpha").status == TenantStatus.DELETING
    assert "is now Active" in run("tenant_restore", "alpha")


def test_an_unknown_institution_is_named_in_the_error():
    for command in ("tenant_suspend", "tenant_resume", "tenant_delete", "tenant_restore"):
        with pytest.raises(CommandError, match="no institution 'nowhere'"):
            run(command, "nowhere")


def test_purge_refuses_inside_the_grace_period_without_force(world):
    run("tenant_create", "brief", "--name", "Brief")
    run("tenant_delete", "brief")
    with pytest.raises(CommandError, match="grace period"):
        run("tenant_purge", "brief")
    assert "Purged brief" in run("tenant_purge", "brief", "--force")
    assert not Tenant.objects.filter(slug="brief").exists()
    with pytest.raises(CommandError, match="needs the slug"):
        run("tenant_purge", "--force")


def test_domains_and_quotas(world):
    assert "now routes to alpha" in run("tenant_add_domain", "alpha", "oae.alpha.example")
    assert Domain.objects.filter(domain="oae.alpha.example").exists()
    with pytest.raises(CommandError, match="already in use"):
        run("tenant_add_domain", "beta", "oae.alpha.example")
    run("tenant_remove_domain", "alpha", "oae.alpha.example")
    assert "people 50" in run("tenant_quota", "alpha", "--people", "50")
    assert Tenant.objects.get(slug="alpha").quota_people == 50
    with pytest.raises(CommandError, match="whole number"):
        run("tenant_quota", "alpha", "--storage-bytes", "lots")
    assert "people unlimited" in run("tenant_quota", "alpha", "--people", "none")


def test_user_create(world):
    output = run(
        "user_create", "beta", "--username", "dana", "--email", "dana@beta.example", "--admin"
    )
    assert "Created u_" in output and "Password: " in output
    with tenant_context(world.tenant_b):
        assert User.objects.get(username="dana").is_staff
    with pytest.raises(CommandError, match="valid email"):
        run("user_create", "beta", "--username", "eve", "--email", "nope")
