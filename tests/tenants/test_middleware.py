"""Requests reach the schema of the institution their Host names, and nothing else."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tenants.models import Domain, TenantStatus
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_it_serves_each_institution_from_its_own_schema(client_a, client_b, world):
    a = client_a.get("/api/v1/institution")
    b = client_b.get("/api/v1/institution")
    assert a.status_code == 200 and b.status_code == 200
    assert a.json() == {"name": "Alpha University", "slug": "alpha", "primary_colour": "#1f4e8c"}
    assert b.json()["name"] == "Beta College"


def test_it_routes_a_custom_domain_to_its_institution(world):
    Domain.objects.create(domain="learn.alpha.example", tenant=world.tenant_a, is_primary=False)
    response = Client(HTTP_HOST="learn.alpha.example").get("/api/v1/institution")
    assert response.status_code == 200
    assert response.json()["slug"] == "alpha"


def test_it_ignores_port_case_trailing_dot_and_www(world):
    for host in (
        f"{world.host_a}:8000",
        world.host_a.upper(),
        f"{world.host_a}.",
        f"www.{world.host_a}",
    ):
        response = Client(HTTP_HOST=host).get("/api/v1/institution")
        assert response.status_code == 200, host
        assert response.json()["slug"] == "alpha", host


def test_an_unknown_host_gets_a_readable_404_page_not_the_platform_site():
    response = Client(HTTP_HOST=f"nosuch.{settings.PLATFORM_DOMAIN}").get("/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "There is no institution at this address" in body
    assert "Traceback" not in body
    assert "A collaboration platform for universities" not in body  # the platform home page


def test_an_unknown_host_gets_the_404_page_on_api_paths_too():
    response = Client(HTTP_HOST="nosuch.example.org").get("/api/v1/institution")
    assert response.status_code == 404
    assert "There is no institution at this address" in response.content.decode()


def test_a_malformed_host_gets_the_404_page():
    response = Client(HTTP_HOST="bad host!").get("/")
    assert response.status_code == 404


def test_the_platform_domain_serves_the_platform_site(platform_client):
    response = platform_client.get("/")
    assert response.status_code == 200
    assert "A collaboration platform for universities" in response.content.decode()


def test_tenant_urls_do_not_exist_on_the_platform_host(platform_client):
    assert platform_client.get("/api/v1/institution").status_code == 404
    assert platform_client.get("/api/schema/").status_code == 404


def test_a_deleting_institution_answers_404_at_once(client_a, world):
    assert client_a.get("/api/v1/institution").status_code == 200  # now cached
    world.tenant_a.status = TenantStatus.DELETING
    world.tenant_a.save()
    try:
        response = client_a.get("/api/v1/institution")
        assert response.status_code == 404
        assert "There is no institution at this address" in response.content.decode()
    finally:
        world.tenant_a.status = TenantStatus.ACTIVE


def test_a_removed_domain_stops_routing_at_once(world):
    domain = Domain.objects.create(domain="old.alpha.example", tenant=world.tenant_a)
    client = Client(HTTP_HOST="old.alpha.example")
    assert client.get("/api/v1/institution").status_code == 200
    domain.delete()
    assert client.get("/api/v1/institution").status_code == 404


def test_a_request_leaves_the_connection_on_the_schema_it_used(client_a, client_b, world):
    client_a.get("/api/v1/institution")
    assert connection.schema_name == world.tenant_a.schema_name
    client_b.get("/api/v1/institution")
    assert connection.schema_name == world.tenant_b.schema_name


def test_session_and_csrf_cookies_are_host_only(client_a, world):
    from django.conf import settings as s

    assert s.SESSION_COOKIE_DOMAIN is None
    assert s.CSRF_COOKIE_DOMAIN is None
    sign_in(client_a, world.alice, world.tenant_a)
    cookie = client_a.cookies[s.SESSION_COOKIE_NAME]
    assert not cookie["domain"]


def test_other_processes_drop_their_cached_answers_when_told(world):
    """A change announced on the Redis channel (by another process) empties this cache."""
    import time

    import redis
    from django.conf import settings as s

    from tenants import selectors

    selectors.tenant_for_hostname(world.host_a)  # starts the listener, caches alpha
    assert world.host_a in selectors._cache
    time.sleep(0.3)  # let the subscription settle
    redis.Redis.from_url(s.REDIS_URL).publish(selectors.CACHE_CHANNEL, "clear")
    deadline = time.monotonic() + 5
    while world.host_a in selectors._cache and time.monotonic() < deadline:
        time.sleep(0.05)
    assert world.host_a not in selectors._cache
