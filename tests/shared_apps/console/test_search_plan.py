"""The console's institution search and the sign-in page's finder find their rows through
the trigram indexes (tenants.0008), whatever the number of institutions: no read of every
institution, no probe of the domains once per institution (``icontains`` did both: 60-120 ms
for a rare word's page and count at 20,000 institutions, README "The fleet")."""

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


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # A handful of rows makes any plan cheap; forbid full scans and ordered index walks
        # to see whether the statement *can* be answered from the indexes alone (bitmap
        # scans): with UPPER(...) LIKE, or a subquery tested per row, it cannot and the
        # plan falls back to reading the table.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
        cursor.execute("SET LOCAL enable_indexscan = on")
    return plan


def _queries(run, table: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        run()
    return [q["sql"] for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]]


@pytest.mark.django_db
@pytest.mark.parametrize("word", ["beta.loc", "College", "lph"])
def test_a_console_search_reads_the_trigram_indexes(world, word):
    tenant_add_domain(tenant=world.tenant_b, hostname="learn.beta.example", actor=Actor.cli())
    [hosts_sql] = _queries(lambda: console_tenants(search=word), "tenants_domain")
    assert "tenants_domain_trgm" in _plan(hosts_sql)
    sorted_tenants, ordering = tenant_sorted(console_tenants(search=word), "name")
    [page_sql] = _queries(
        lambda: keyset_page(sorted_tenants, ordering=ordering, cursor=None, limit=5),
        "tenants_tenant",
    )
    searched = console_tenants(search=word)
    [count_sql] = _queries(searched.count, "tenants_tenant")
    for sql in (page_sql, count_sql):
        plan = _plan(sql)
        assert "tenants_tenant_name_trgm" in plan and "tenants_tenant_slug_trgm" in plan, plan
        assert "Seq Scan" not in plan and "SubPlan" not in plan, plan
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
    assert slugs("zzyzx") == []
    assert [t.slug for t in tenants_for_console(search="Univ")] == ["alpha"]


@pytest.mark.django_db
def test_the_finder_reads_the_name_index(world):
    [sql] = _queries(lambda: institutions_find("university"), "tenants_tenant")
    assert "tenants_tenant_name_trgm" in _plan(sql)
    assert [found.name for found in institutions_find("UNIVERSITY")] == ["Alpha University"]
