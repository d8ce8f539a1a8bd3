"""New institutions are replays of a template at head; a stale template is refused."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.people.models import User
from tenant_apps.people.services import user_create
from tenants.models import SchemaTemplate, Tenant
from tenants.provisioning import TemplateStale, template_current, template_schema
from tenants.schemas import (
    SchemaDumpError,
    applied_migrations,
    code_migrations,
    dump_schema_text,
    fingerprint,
    restore_schema,
)
from tenants.services import tenant_create

pytestmark = pytest.mark.django_db


def test_the_template_is_at_the_codes_head():
    template_fingerprint, dump = template_current()
    assert template_fingerprint == fingerprint(code_migrations())
    assert applied_migrations(template_schema()) == code_migrations()
    assert f"CREATE SCHEMA {template_schema()};" in dump


def test_a_new_institution_has_every_table_and_migration_of_the_code():
    tenant = tenant_create(slug="epsilon", name="Epsilon")
    assert applied_migrations(tenant.schema_name) == code_migrations()
    with schema_context(tenant.schema_name):
        assert InstitutionProfile.objects.get().name == "Epsilon"
        # Identity sequences came along: new rows get fresh keys.
        first = user_create(username="first")
        second = user_create(username="second")
        assert second.pk > first.pk
        assert User.objects.count() == 2


def test_a_new_institution_shares_no_rows_with_others(world):
    tenant = tenant_create(slug="zeta", name="Zeta")
    with schema_context(tenant.schema_name):
        assert not User.objects.exists()
    with schema_context(world.tenant_a.schema_name):
        assert User.objects.filter(username="alice").exists()


def test_a_stale_template_is_refused_and_nothing_is_made():
    SchemaTemplate.objects.update(fingerprint="0" * 64)
    with pytest.raises(TemplateStale, match="migrate_tenants"):
        tenant_create(slug="stale", name="Stale")
    assert not Tenant.objects.filter(slug="stale").exists()
    assert not schema_exists("t_stale")


def test_a_template_missing_a_migration_is_stale(world):
    # A template behind head (one migration short) must not be cloned: the new
    # institution would silently lack that migration's tables or columns.
    missing = sorted(code_migrations())[-1]
    behind = fingerprint(code_migrations() - {missing})
    SchemaTemplate.objects.update(fingerprint=behind)
    with pytest.raises(TemplateStale):
        tenant_create(slug="behind", name="Behind")


def test_replaying_a_dump_renames_only_the_schema_not_the_data():
    tricky = "t_src.notes and 'quotes'\\nCOPY t_src.x FROM stdin;"
    dump = "\n".join(
        [
            "-- PostgreSQL database dump",
            "SET statement_timeout = 0;",
            "SELECT pg_catalog.set_config('search_path', '', false);",
            "CREATE SCHEMA t_src;",
            "CREATE TABLE t_src.notes (",
            "    id integer NOT NULL,",
            "    body text NOT NULL",
            ");",
            "COPY t_src.notes (id, body) FROM stdin;",
            f"1\t{tricky}",
            "2\tt_src",
            "\\.",
            "ALTER TABLE ONLY t_src.notes ADD CONSTRAINT notes_pkey PRIMARY KEY (id);",
            "-- PostgreSQL database dump complete",
            "",
        ]
    )
    rows = restore_schema(io.StringIO(dump), source="t_src", target="t_dst")
    assert rows == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, body FROM t_dst.notes ORDER BY id")
        assert cursor.fetchall() == [(1, tricky.replace("\\n", "\n")), (2, "t_src")]
    assert not schema_exists("t_src")


def test_a_truncated_dump_is_refused(world):
    dump = dump_schema_text(world.tenant_b.schema_name)
    cut = dump[: dump.index("COPY ") + 200]
    with pytest.raises(SchemaDumpError):
        restore_schema(io.StringIO(cut), source=world.tenant_b.schema_name, target="t_cut")


def test_a_dump_of_another_schema_is_refused(world):
    dump = dump_schema_text(world.tenant_b.schema_name)
    with pytest.raises(SchemaDumpError):
        restore_schema(io.StringIO(dump), source="t_other", target="t_wrong")


def test_provisioning_renames_a_ready_schema_from_the_pool():
    from tenants.models import SchemaPoolEntry
    from tenants.provisioning import pool_fill

    assert pool_fill(size=2) == 2
    pooled = set(SchemaPoolEntry.objects.values_list("schema_name", flat=True))
    tenant = tenant_create(slug="pooled", name="Pooled")
    remaining = set(SchemaPoolEntry.objects.values_list("schema_name", flat=True))
    assert len(remaining) == 1 and remaining < pooled
    (used,) = pooled - remaining
    assert not schema_exists(used) and schema_exists(tenant.schema_name)
    assert applied_migrations(tenant.schema_name) == code_migrations()
    with schema_context(tenant.schema_name):
        assert InstitutionProfile.objects.get().name == "Pooled"
        user_create(username="first-in-pooled")


def test_a_failed_provisioning_gives_the_pooled_schema_back(world, settings):
    from tenants.models import Domain, SchemaPoolEntry
    from tenants.provisioning import pool_fill

    pool_fill(size=1)
    (entry,) = SchemaPoolEntry.objects.all()
    Domain.objects.create(domain=f"taken.{settings.PLATFORM_DOMAIN}", tenant=world.tenant_a)
    with pytest.raises(Exception, match="duplicate key"):
        tenant_create(slug="taken", name="Taken")
    assert SchemaPoolEntry.objects.get().schema_name == entry.schema_name
    assert schema_exists(entry.schema_name)
    assert not schema_exists("t_taken")


def test_pool_entries_of_an_old_template_are_dropped_not_used():
    from tenants.models import SchemaPoolEntry
    from tenants.provisioning import pool_fill

    pool_fill(size=1)
    old = SchemaPoolEntry.objects.get()
    SchemaPoolEntry.objects.update(fingerprint="0" * 64)
    tenant = tenant_create(slug="fresh", name="Fresh")  # replays: the entry is not current
    assert SchemaPoolEntry.objects.filter(schema_name=old.schema_name).exists()
    assert pool_fill(size=1) == 1
    assert not SchemaPoolEntry.objects.filter(schema_name=old.schema_name).exists()
    assert not schema_exists(old.schema_name)
    assert schema_exists(tenant.schema_name)
