"""Per-institution metrics: Prometheus labels (bounded), hourly counters, the console's day."""

from __future__ import annotations

import re
import time
import uuid

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from config import metrics
from config.celery import app
from tenant_apps.people.services import user_create
from tenants.models import TenantTraffic
from tenants.services import traffic_flush
from tests.conftest import second_factor_proven

TOKEN = "metrics-test-token"


@pytest.fixture(autouse=True)
def _fresh_metrics(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_MAX_INSTITUTIONS = 1
    metrics.institution_label.reset()
    metrics.traffic_flush()  # earlier tests' requests, summed in this process: out first
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("oae:traffic:*"):
        client.delete(key)
    yield
    metrics.institution_label.reset()


def _scrape(**headers) -> tuple[int, str]:
    response = Client().get("/metrics", HTTP_HOST=settings.PLATFORM_DOMAIN, **headers)
    return response.status_code, response.content.decode()


def _value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


@pytest.mark.django_db
def test_the_endpoint_is_hidden_without_the_token():
    assert _scrape()[0] == 404
    assert _scrape(HTTP_AUTHORIZATION="Bearer wrong")[0] == 404


@pytest.mark.django_db
def test_requests_are_labelled_by_institution_with_bounded_cardinality(world, client):
    _status, before = _scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    alpha = 'oae_http_requests_total{institution="t_alpha",status="2xx"}'
    other = 'oae_http_requests_total{institution="_other",status="4xx"}'
    for _ in range(3):
        client.get("/api/v1/institution", HTTP_HOST=world.host_a)  # 200, anonymous read
    client.get("/api/v1/me", HTTP_HOST=world.host_b)  # 4xx; beyond the cap of 1: _other
    client.get("/console/login", HTTP_HOST=settings.PLATFORM_DOMAIN)
    status, after = _scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert status == 200
    assert _value(after, alpha) - _value(before, alpha) == 3
    assert _value(after, other) - _value(before, other) == 1
    beta = 'oae_http_requests_total{institution="t_beta",status="4xx"}'
    assert _value(after, beta) == _value(before, beta)  # the second institution: not its own
    assert 'oae_http_requests_total{institution="_platform"' in after
    assert 'oae_http_request_seconds_bucket{institution="t_alpha",le="0.1"}' in after
    # (The registry is the process's: earlier tests may have labelled others before the reset.)
    new_labels = set(re.findall(r'institution="([^"]+)"', after)) - set(
        re.findall(r'institution="([^"]+)"', before)
    )
    assert new_labels <= {"t_alpha", "_other", "_platform"}


@pytest.mark.django_db
def test_the_console_shows_an_institutions_last_day(world, client):
    for _ in range(4):
        client.get("/api/v1/institution", HTTP_HOST=world.host_a)
    assert traffic_flush() >= 1
    row = TenantTraffic.objects.get(tenant=world.tenant_a)
    assert row.requests == 4 and row.errors == 0 and row.latency_ms >= 0
    assert not TenantTraffic.objects.filter(tenant=world.tenant_b).exists()
    assert traffic_flush() >= 1  # idempotent: copied again, not added again
    assert TenantTraffic.objects.get(tenant=world.tenant_a).requests == 4

    connection.set_schema_to_public()  # the requests above left the connection in t_alpha
    admin = user_create(username="metrics-admin", email="m@platform.example", is_admin=True)
    console = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    console.force_login(admin)
    second_factor_proven(console, admin)
    response = console.get(f"/console/t/{world.tenant_a.slug}/")
    assert response.status_code == 200
    assert "4 requests, 0 errors" in response.content.decode()


@pytest.fixture
def worker(django_db_setup, django_db_blocker):
    queue = f"test-{uuid.uuid4().hex}"
    app.conf.task_default_queue = queue
    with (
        django_db_blocker.unblock(),
        start_worker(
            app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10
        ),
    ):
        yield
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE


@app.task(name="tests.metrics_noop")
def metrics_noop(key: str) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.rpush(key, "done")
    client.expire(key, 60)


def test_a_tasks_queue_time_is_recorded_for_its_institution(worker, world):
    sample = 'oae_celery_queue_seconds_count{institution="t_alpha"}'
    before = _value(metrics.generate_latest(metrics.REGISTRY).decode(), sample)
    key = f"test:{uuid.uuid4().hex}"
    with schema_context(world.tenant_a.schema_name):
        metrics_noop.delay(key)
    assert redis.Redis.from_url(settings.REDIS_URL).blpop([key], timeout=20) is not None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        after = _value(metrics.generate_latest(metrics.REGISTRY).decode(), sample)
        if after > before:
            break
        time.sleep(0.1)
    assert after == before + 1
    hours = metrics.traffic_hours(1)
    assert any(per.get("t_alpha", {}).get("tasks") == 1 for per in hours.values())
