"""Each request writes JSON lines carrying tenant, request id and the user's public id."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from tenant_apps.people.services import token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """The formatted output of the app's own handler, as parsed JSON lines."""
    stream = io.StringIO()
    formatter = logging.getLogger().handlers[0].formatter
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("oae.request")
    logger.addHandler(handler)
    structlog.reset_defaults  # noqa: B018 (the config made at start-up stays in force)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    logger.removeHandler(handler)


def test_an_anonymous_request_logs_tenant_and_request_id(client_a, world, log_lines):
    response = client_a.get("/api/v1/institution", HTTP_X_REQUEST_ID="req-1234567890")
    (line,) = log_lines()
    assert line["event"] == "request"
    assert line["tenant"] == world.tenant_a.schema_name
    assert line["request_id"] == "req-1234567890" == response["X-Request-ID"]
    assert line["status"] == 200
    assert "user" not in line


def test_a_malformed_request_id_is_replaced(client_a, log_lines):
    response = client_a.get("/api/v1/institution", HTTP_X_REQUEST_ID="bad id\n{}")
    (line,) = log_lines()
    assert line["request_id"] == response["X-Request-ID"]
    assert line["request_id"] != "bad id\n{}"


def test_an_authenticated_request_logs_the_users_public_id_only(client_a, world, log_lines):
    from django_tenants.utils import schema_context

    with schema_context(world.tenant_a.schema_name):
        _token, secret = token_create(user=world.alice, name="cli")
    client_a.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    (line,) = log_lines()
    assert line["user"] == world.alice.public_id
    raw = json.dumps(line)
    assert "alice@example.edu" not in raw and '"alice"' not in raw


def test_an_unknown_host_is_logged_without_a_tenant(log_lines):
    from django.test import Client

    Client(HTTP_HOST="nosuch.example.org").get("/")
    (line,) = log_lines()
    assert line["status"] == 404
    assert "tenant" not in line
