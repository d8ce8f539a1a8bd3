"""migrate_tenants: every schema to head, failures isolated, re-runnable, skipping fast."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from shared_apps.audit.services import Actor
from tenants.migrating import migrate_tenants, schemas_behind
from tenants.models import Tenant
from tenants.schemas import applied_migrations, code_migrations
from tenants.services import tenant_create, tenant_delete, tenant_purge

ROOT = Path(__file__).resolve().parents[2]


def _make_behind(schema: str, *, fixable: bool) -> None:
    """Forget the institution app's migrations; drop its table too if ``fixable``.

    Re-applying then either re-creates the table (fixable) or fails because the
    table is still there (a stand-in for any migration that breaks on one tenant).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {schema}.django_migrations "  # noqa: S608 (a test's own schema)
            "WHERE app = 'institution'"
        )
        if fixable:
            cursor.execute(
                f"DROP TABLE {schema}.institution_institutionprofile, "
                f"{schema}.institution_adminaction"
            )


@pytest.mark.django_db
def test_an_institution_at_head_is_skipped_and_one_behind_is_migrated(world):
    _make_behind(world.tenant_b.schema_name, fixable=True)
    assert schemas_behind([world.tenant_a.schema_name, world.tenant_b.schema_name]) == [
        world.tenant_b.schema_name
    ]
    lines: list[str] = []
    report = migrate_tenants(jobs=1, progress=lines.append)
    assert report.ok, report.failed
    assert report.migrated == [world.tenant_b.schema_name]
    assert report.skipped == report.total - 1
    assert applied_migrations(world.tenant_b.schema_name) == code_migrations()
    assert any("[1/1] t_beta migrated" in line for line in lines)
    with schema_context(world.tenant_b.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM institution_institutionprofile")


@pytest.mark.django_db
def test_a_failing_institution_is_reported_and_the_others_still_migrate(world):
    _make_behind(world.tenant_a.schema_name, fixable=False)
    _make_behind(world.tenant_b.schema_name, fixable=True)
    report = migrate_tenants(jobs=1, progress=lambda line: None)
    assert list(report.failed) == [world.tenant_a.schema_name]
    assert "already exists" in report.failed[world.tenant_a.schema_name]
    assert report.migrated == [world.tenant_b.schema_name]


@pytest.fixture
def committed_tenants(django_db_setup, django_db_blocker):
    """Two institutions really committed, for the command run in another process.

    The test runs inside this fixture's unblocked, autocommit connection.
    """
    with django_db_blocker.unblock():
        tenants = [tenant_create(slug=slug, name=slug.title()) for slug in ("mig-ok", "mig-bad")]
        yield tenants
        connection.set_schema_to_public()
        for tenant in Tenant.objects.filter(slug__in=["mig-ok", "mig-bad"]):
            tenant_delete(tenant=tenant, actor=Actor.system("test"))
            tenant_purge(tenant=tenant, actor=Actor.system("test"), force=True)


def _command(*args: str) -> subprocess.CompletedProcess:
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT']}/{settings_dict['NAME']}"
        ),
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate_tenants", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_command_migrates_in_parallel_isolates_failures_and_resumes(committed_tenants):
    ok, bad = committed_tenants
    _make_behind(ok.schema_name, fixable=True)
    _make_behind(bad.schema_name, fixable=False)

    first = _command("--jobs", "2")
    assert first.returncode == 1
    assert "t_mig_ok migrated" in first.stdout
    assert "t_mig_bad FAILED" in first.stdout
    assert "1 failed" in first.stdout
    assert "run migrate_tenants again to resume" in first.stderr

    with connection.cursor() as cursor:  # the operator fixes the cause
        cursor.execute(
            f"DROP TABLE {bad.schema_name}.institution_institutionprofile, "
            f"{bad.schema_name}.institution_adminaction"
        )
    second = _command("--jobs", "2")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "t_mig_bad migrated" in second.stdout
    assert "t_mig_ok" not in second.stdout  # already at head: skipped
    assert "0 failed" in second.stdout
