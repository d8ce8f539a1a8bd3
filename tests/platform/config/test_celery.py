"""Celery tasks run in the schema they were sent from, on a real worker over real Redis."""

from __future__ import annotations

import uuid

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from config.celery import app
from tenant_apps.institution.selectors import institution_profile


@app.task(name="tests.record_schema")
def record_schema(key: str) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.rpush(key, f"{connection.schema_name}|{institution_profile().name}")
    client.expire(key, 60)


@pytest.fixture(scope="module")
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


def test_a_task_runs_in_the_institution_it_was_sent_from(worker, world):
    client = redis.Redis.from_url(settings.REDIS_URL)
    key = f"test:{uuid.uuid4().hex}"
    with schema_context(world.tenant_a.schema_name):
        record_schema.delay(key)
    with schema_context(world.tenant_b.schema_name):
        record_schema.delay(key)
    results = []
    for _ in range(2):
        item = client.blpop([key], timeout=20)
        assert item is not None, "the worker did not run the task"
        results.append(item[1].decode())
    assert sorted(results) == ["t_alpha|Alpha University", "t_beta|Beta College"]
