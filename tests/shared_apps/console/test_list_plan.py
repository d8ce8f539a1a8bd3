"""The console's institution list reads one page from an index, whatever the number of
institutions (10,000 in the fleet bench): no sort of every institution per page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.keyset import keyset_page
from shared_apps.console.selectors import console_tenants, tenant_sorted


def _page_sql(sort: str, cursor: str | None = None) -> tuple[str, str | None]:
    sorted_tenants, ordering = tenant_sorted(console_tenants(), sort)
    with CaptureQueriesContext(connection) as queries:
        page = keyset_page(sorted_tenants, ordering=ordering, cursor=cursor, limit=1)
    tenant_queries = [q["sql"] for q in queries.captured_queries if "tenants_tenant" in q["sql"]]
    assert tenant_queries
    return tenant_queries[0], page.next_cursor


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # With a handful of rows any plan is cheap; forbid the full scan to see whether
        # the query *can* walk the index in its order (it can only if ORDER BY matches).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plan


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sort", "index"),
    [("name", "tenants_tenant_name_id"), ("-created", "tenants_tenant_created_id")],
)
def test_a_page_of_the_list_is_read_from_the_index_without_sorting_every_row(world, sort, index):
    sql, next_cursor = _page_sql(sort)
    plan = _plan(sql)
    assert index in plan, plan
    assert "Sort" not in plan, plan  # the index gives the order: no sort of all rows
    assert next_cursor  # the world has more than one institution: a next page exists
    sql, _ = _page_sql(sort, next_cursor)  # a later page, by key, the same way
    plan = _plan(sql)
    assert index in plan and "Sort" not in plan, plan
