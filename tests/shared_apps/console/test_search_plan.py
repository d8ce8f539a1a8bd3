"""The console's institution search and the sign-in page's finder find their rows through
the trigram indexes (tenants.0008), whatever the number of institutions: no read of every
institution, no probe of the domains once per institution (``icontains`` did both)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.keyset import keyset_page
from shared_apps.audit.services import Actor
from shared_apps.console.selectors import console_tenants, tenant_sorted
from shared_apps.site.selectors import institutions_find
from tenants.selectors import tenants_for_console
from tenants.services import tenant_add_domain

TRIGRAM_INDEXES = ("tenants_tenant_name_trgm", "tenants_tenant_slug_trgm", "tenants_domain_trgm")


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # A handful of rows makes any plan cheap; forbid the full scans to see whether the
        # statement *can* be served by the indexes (it cannot with UPPER(...) LIKE).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plan


def _tenant_queries(run) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        run()
    return [q["sql"] for q in queries.captured_queries if "tenants_tenant" in q["sql"]]


@pytest.mark.django_db
@pytest.mark.parametrize("word", ["beta.exa", "College", "lph"])
def test_a_console_search_reads_the_trigram_indexes(world, word):
    sorted_tenants, ordering = tenant_sorted(console_tenants(search=word), "name")
    [page_sql] = _tenant_queries(
        lambda: keyset_page(sorted_tenants, ordering=ordering, cursor=None, limit=5)
    )
    [count_sql] = _tenant_queries(lambda: console_tenants(search=word).count())
    for sql in (page_sql, count_sql):
        plan = _plan(sql)
        for index in TRIGRAM_INDEXES:
            assert index in plan, plan
        assert "SubPlan" not in plan, plan  # no per-institution probe of the domains
        assert "UPPER" not in sql, sql


@pytest.mark.django_db
def test_the_search_finds_names_slugs_and_host_names_once_each(world):
    tenant_add_domain(tenant=world.tenant_b, hostname="learn.beta.example", actor=Actor.cli())

    def slugs(word: str) -> list[str]:
        return [t.slug for t in console_tenants(search=word).order_by("slug")]

    assert slugs("ALPHA") == ["alpha"]  # name, slug and host name: listed once
    assert slugs("college") == ["beta"]  # name only
    assert slugs("LEARN.beta") == ["beta"]  # a custom host name only
    assert slugs("%") == [] and slugs("_") == []  # the pattern's characters are literal
    assert [t.slug for t in tenants_for_console(search="Univ")] == ["alpha"]


@pytest.mark.django_db
def test_the_finder_reads_the_name_index(world):
    [sql] = _tenant_queries(lambda: institutions_find("university"))
    assert "tenants_tenant_name_trgm" in _plan(sql)
    assert [found.name for found in institutions_find("UNIVERSITY")] == ["Alpha University"]
