"""Helpers for the activity tests: fan-out as the worker does it, people, tokens, clean caches."""

from __future__ import annotations

import json

import pytest
from django_redis import get_redis_connection
from django_tenants.utils import schema_context

from tenant_apps.activity.fanout import fan_out_pending
from tenant_apps.people.services import token_create, user_create
from tests.shared_apps.signup.conftest import smtp_server  # noqa: F401 - a fixture


@pytest.fixture(autouse=True)
def _forget_cached_counts():
    # Unread counts are cached in Redis, which outlives each test's rolled-back
    # transaction: every test starts without them.
    redis = get_redis_connection("default")
    for key in redis.scan_iter("*activity:unread:*"):
        redis.delete(key)
    yield
    for key in redis.scan_iter("*activity:unread:*"):
        redis.delete(key)


@pytest.fixture(autouse=True)
def _no_committed_activities(world, db):
    """Browser tests commit activities (the world is shared); in these tests' transaction
    they are gone, so each test sees only its own."""
    from tenant_apps.activity.models import Activity

    for tenant in (world.tenant_a, world.tenant_b):
        with schema_context(tenant.schema_name):
            Activity.objects.all().delete()


def fan_out(world, tenant=None) -> int:
    """Run the fan-out the worker runs after the commit (tests' transactions never commit)."""
    with schema_context((tenant or world.tenant_a).schema_name):
        return fan_out_pending()


def bearer(world, user, tenant=None) -> dict:
    with schema_context((tenant or world.tenant_a).schema_name):
        return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, name='t')[1]}"}


def person(world, username: str, display_name: str = "", tenant=None):
    with schema_context((tenant or world.tenant_a).schema_name):
        return user_create(
            username=username,
            email=f"{username}@example.edu",
            display_name=display_name or username.title(),
        )


def post_json(client, path, data=None, **headers):
    return client.post(path, json.dumps(data or {}), content_type="application/json", **headers)


def patch_json(client, path, data, **headers):
    return client.patch(path, json.dumps(data), content_type="application/json", **headers)
