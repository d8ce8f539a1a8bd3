"""A tenant request costs what it must: its own queries and at most one SET search_path."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.selectors import tenant_cache_clear

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _profile_read_every_time(settings):
    # These tests count what routing adds to a request that reads one row (the profile);
    # the per-process profile cache (tests/platform/config/test_localcache.py) would
    # leave no row to read.
    settings.LOCAL_CACHE_SECONDS = 0


def _statements(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_a_request_reading_one_row_costs_the_row_and_one_set(client_a, client_b):
    # Warm the hostname cache of both hosts; leave the connection on beta.
    _statements(client_a, "/api/v1/institution")
    _statements(client_b, "/api/v1/institution")

    statements = _statements(client_a, "/api/v1/institution")

    assert len(statements) == 2, statements
    assert statements[0].startswith("SET search_path = ")
    assert '"t_alpha"' in statements[0]
    assert 'FROM "institution_institutionprofile"' in statements[1]


def test_the_next_request_to_the_same_institution_sets_nothing(client_a):
    _statements(client_a, "/api/v1/institution")

    statements = _statements(client_a, "/api/v1/institution")

    assert len(statements) == 1, statements
    assert 'FROM "institution_institutionprofile"' in statements[0]


def test_a_cold_hostname_costs_one_lookup_more(client_a, client_b):
    _statements(client_b, "/api/v1/institution")
    tenant_cache_clear()

    statements = _statements(client_a, "/api/v1/institution")

    # The lookup runs on beta's search path (which ends in public): no SET for it.
    assert len(statements) == 3, statements
    assert 'FROM "tenants_domain"' in statements[0]
    assert statements[1].startswith("SET search_path = ")


def test_health_endpoints_touch_no_database_except_the_heartbeat(client_a):
    with CaptureQueriesContext(connection) as captured:
        assert client_a.get("/__lbheartbeat__").status_code == 200
        assert client_a.get("/__version__").status_code == 200
    assert captured.captured_queries == []


def test_me_with_a_token_costs_one_query_once_warm(client_a, world):
    from django_tenants.utils import schema_context

    from tenant_apps.people.services import token_create

    with schema_context(world.tenant_a.schema_name):
        _token, secret = token_create(user=world.alice, name="cost")
    header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    client_a.get("/api/v1/me", **header)  # warms the cache, records last use

    with CaptureQueriesContext(connection) as captured:
        assert client_a.get("/api/v1/me", **header).status_code == 200

    statements = [query["sql"] for query in captured.captured_queries]
    # The token joined with its user; and, because this module turns the per-process
    # caches off, the terms' number, which a warm process keeps (tests/tenant_apps/account).
    assert len(statements) == 2, statements
    assert 'FROM "people_accesstoken" INNER JOIN "people_user"' in statements[0]
    assert 'FROM "account_termsversion"' in statements[1]
