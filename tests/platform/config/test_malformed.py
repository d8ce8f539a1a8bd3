"""NUL bytes, lone surrogates and deep JSON answer 400, never 500, and report nothing."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import sign_in
from tests.platform.config.test_sentry import _events

pytestmark = pytest.mark.django_db

DEEP_JSON = "[" * 1000 + "]" * 1000


@pytest.fixture
def member(world) -> Client:
    client = Client(HTTP_HOST=world.host_a, raise_request_exception=False)
    return sign_in(client, world.alice, world.tenant_a)


def _is_problem_400(response) -> bool:
    return (
        response.status_code == 400
        and response["Content-Type"] == "application/problem+json"
        and response.json()["status"] == 400
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/people/u_%00x",
        "/api/v1/people/?q=a%00b",
        "/api/v1/people/?after=u_%00",
        "/api/v1/content/?tag=a%00",
        "/api/v1/content/c_x%00/versions/",
        "/api/v1/groups/g_%00/",
        "/api/v1/content/?version=%00",
    ],
)
def test_a_nul_byte_in_an_api_address_is_a_problem_400(member, path, caplog, sentry_collector):
    with caplog.at_level(logging.WARNING):
        response = member.get(path)
    assert _is_problem_400(response), (response.status_code, response.content[:200])
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not [record for record in caplog.records if record.exc_info]
    assert _events(sentry_collector) == []


@pytest.mark.parametrize(
    "path", ["/people/u_%00x", "/people/?q=%00", "/people/?after=%00", "/content/c_%00"]
)
def test_a_nul_byte_in_a_page_address_is_a_friendly_400(member, path, caplog, sentry_collector):
    with caplog.at_level(logging.WARNING):
        response = member.get(path)
    assert response.status_code == 400
    assert "The request could not be understood" in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert not [record for record in caplog.records if record.exc_info]
    assert _events(sentry_collector) == []


def test_a_nul_byte_in_a_cookie_is_a_400(world):
    client = Client(HTTP_HOST=world.host_a, raise_request_exception=False)
    # An octal escape in a quoted cookie: Django's cookie parser decodes it to a NUL.
    response = client.get("/api/v1/institution", HTTP_COOKIE='sessionid="\\000abcdefgh"')
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/token", "/api/v1/me/tokens/", "/api/v1/content/", "/api/v1/groups/"]
)
def test_deeply_nested_json_is_a_problem_400(member, path, caplog, sentry_collector):
    with caplog.at_level(logging.WARNING):
        response = member.post(path, DEEP_JSON, content_type="application/json")
    assert _is_problem_400(response), (response.status_code, response.content[:200])
    assert not [record for record in caplog.records if record.exc_info]
    assert _events(sentry_collector) == []


def test_deep_json_is_refused_on_the_platform_api_too():
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, raise_request_exception=False)
    response = client.post("/api/v1/platform/tenants/", DEEP_JSON, content_type="application/json")
    assert response.status_code in (400, 401)  # parsed or refused before: never a 500


@pytest.mark.parametrize(
    "body",
    [
        '{"username": "al\\u0000ice", "password": "x"}',
        '{"username": "\\ud800", "password": "x"}',
        '{"username": "alice", "password": "x", "name": {"\\u0000": 1}}',
    ],
)
def test_nul_and_lone_surrogates_in_json_are_a_problem_400(client_a, body):
    response = client_a.post("/api/v1/auth/token", body, content_type="application/json")
    assert _is_problem_400(response), (response.status_code, response.content[:200])


def test_ordinary_nesting_is_still_accepted(member):
    response = member.post(
        "/api/v1/me/tokens/", {"name": "laptop"}, content_type="application/json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/messages/new", {"to": "u_%s\x00" % ("a" * 16), "subject": "s", "body": "b"}),
        ("/discussions/new", {"title": "t", "body": "b", "mentions": "\x00"}),
        ("/groups/new", {"title": "a\x00b"}),
    ],
)
def test_a_nul_byte_in_a_page_form_is_a_friendly_400(member, path, data, caplog, sentry_collector):
    """Pages read some fields straight from request.POST (not through a form's CharField,
    which refuses NUL): the middleware refuses them all before PostgreSQL can (a 500)."""
    with caplog.at_level(logging.WARNING):
        response = member.post(path, data)
    assert response.status_code == 400
    assert "The request could not be understood" in response.content.decode()
    assert not [record for record in caplog.records if record.exc_info]
    assert _events(sentry_collector) == []


def test_a_nul_byte_in_an_api_form_body_is_still_the_parsers_problem_400(member):
    response = member.post("/api/v1/groups/", {"title": "a\x00b"})
    assert _is_problem_400(response), (response.status_code, response.content[:200])
