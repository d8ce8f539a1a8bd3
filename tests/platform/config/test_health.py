"""Health endpoints: on every host, no tenant lookup, real checks of real services."""

from __future__ import annotations

import socket

import pytest
from django.conf import settings
from django.test import Client

from config import health

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fresh_clients():
    health._s3_client.cache_clear()
    health._redis_client.cache_clear()
    yield
    health._s3_client.cache_clear()
    health._redis_client.cache_clear()


@pytest.mark.parametrize("host", ["alpha.localhost", "localhost", "nosuch.example.org"])
def test_lbheartbeat_answers_on_every_host(host):
    response = Client(HTTP_HOST=host).get("/__lbheartbeat__")
    assert response.status_code == 200
    assert response.content == b"OK"


def test_heartbeat_reports_every_service_up(client_a, fresh_clients):
    response = client_a.get("/__heartbeat__")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "redis": "ok",
        "storage": "ok",
    }


def test_heartbeat_answers_503_naming_s3_when_it_is_unreachable(settings, fresh_clients):
    settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{_closed_port()}"
    response = Client(HTTP_HOST="nosuch.example.org").get("/__heartbeat__")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["storage"]
    assert body["checks"]["storage"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"


def test_heartbeat_answers_503_naming_redis_when_it_is_unreachable(settings, fresh_clients):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = Client(HTTP_HOST=settings.PLATFORM_DOMAIN).get("/__heartbeat__")
    assert response.status_code == 503
    assert response.json()["down"] == ["redis"]


def test_heartbeat_answers_503_when_the_bucket_is_missing(settings, fresh_clients):
    settings.S3_BUCKET = "no-such-bucket-for-oae"
    response = Client(HTTP_HOST=settings.PLATFORM_DOMAIN).get("/__heartbeat__")
    assert response.status_code == 503
    assert response.json()["down"] == ["storage"]


def test_version_describes_the_build(client_a):
    response = client_a.get("/__version__")
    assert response.status_code == 200
    body = response.json()
    assert {"version", "commit"} <= body.keys()
    assert body["version"] == settings.VERSION_INFO["version"]


def test_health_paths_refuse_writes_as_ordinary_paths(client_a):
    # Only GET/HEAD are health checks; a POST falls through to routing (no such page).
    assert client_a.post("/__lbheartbeat__").status_code == 404
