from __future__ import annotations

import pytest
from django_tenants.utils import schema_context


@pytest.fixture
def in_a(world):
    """Run a function inside tenant A's schema and return its result."""

    def run(fn, *args, **kwargs):
        with schema_context(world.tenant_a.schema_name):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def search_api(client_a, world, bearer):
    """GET /api/v1/search/ on tenant A as ``user`` (None: anonymous); returns the response."""
    tokens: dict = {}

    def get(params: dict, *, user=None, path="/api/v1/search/"):
        headers = {}
        if user is not None:
            if user.pk not in tokens:
                tokens[user.pk] = bearer(user, world.tenant_a)
            headers = tokens[user.pk]
        return client_a.get(path, params, **headers)

    return get


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]
