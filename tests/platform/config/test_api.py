"""API groundwork: authentication, problem documents, cursor pagination, OpenAPI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from config.api.pagination import CursorPagination
from config.api.problems import exception_handler
from tenant_apps.people.models import User
from tenant_apps.people.services import token_create, token_revoke, user_create
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _token(world, user=None, tenant=None, **kwargs) -> str:
    with schema_context((tenant or world.tenant_a).schema_name):
        return token_create(user=user or world.alice, name="test", **kwargs)[1]


def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    return body


# --- authentication ---------------------------------------------------------
def test_me_with_a_bearer_token_shows_the_callers_own_account(client_a, world):
    response = client_a.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {_token(world)}")
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("id", "display_name", "username", "email", "is_admin")} == {
        "id": world.alice.public_id,
        "display_name": "Alice Archer",
        "username": "alice",
        "email": "alice@example.edu",
        "is_admin": False,
    }


def test_me_with_a_session_shows_the_callers_own_account(client_a, world):
    sign_in(client_a, world.bob, world.tenant_a)
    response = client_a.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["id"] == world.bob.public_id


def test_me_without_credentials_is_401_problem_with_a_bearer_challenge(client_a):
    response = client_a.get("/api/v1/me")
    body = _assert_problem(response, 401)
    assert body["type"].endswith("/not-authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer oae_nonsense", "Bearer \u00e9t\u00e9"],
)
def test_a_bad_bearer_header_is_401_problem(client_a, header):
    body = _assert_problem(client_a.get("/api/v1/me", HTTP_AUTHORIZATION=header), 401)
    assert body["detail"]


def test_a_token_of_one_institution_is_worthless_on_another(client_b, world):
    response = client_b.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {_token(world)}")
    _assert_problem(response, 401)
    assert "alice" not in response.content.decode().lower()


def test_a_session_of_one_institution_is_worthless_on_another(world):
    client = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    assert client.get("/api/v1/me").status_code == 200
    # The same cookie presented to beta's host (a browser would not even send it).
    response = client.get("/api/v1/me", HTTP_HOST=world.host_b)
    _assert_problem(response, 401)


def test_a_revoked_token_is_refused(client_a, world):
    with schema_context(world.tenant_a.schema_name):
        token, secret = token_create(user=world.alice, name="old")
        token_revoke(token=token)
    _assert_problem(client_a.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}"), 401)


def test_an_expired_token_is_refused(client_a, world):
    secret = _token(world, expires=timezone.now() - timedelta(seconds=1))
    _assert_problem(client_a.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}"), 401)


def test_a_token_of_a_deactivated_person_is_refused(client_a, world):
    secret = _token(world, user=world.bob)
    with schema_context(world.tenant_a.schema_name):
        User.objects.filter(pk=world.bob.pk).update(is_active=False)
    _assert_problem(client_a.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}"), 401)


def test_a_token_records_its_last_use_without_a_write_per_request(client_a, world):
    from tenant_apps.people.models import AccessToken

    secret = _token(world)
    header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    client_a.get("/api/v1/me", **header)
    with schema_context(world.tenant_a.schema_name):
        first = AccessToken.objects.get(user=world.alice).last_used
    assert first is not None
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client_a.get("/api/v1/me", **header)
    assert not any(q["sql"].startswith("UPDATE") for q in captured.captured_queries)


def test_only_a_hash_of_the_token_is_stored(world):
    from tenant_apps.people.models import AccessToken

    with schema_context(world.tenant_a.schema_name):
        token, secret = token_create(user=world.alice, name="x")
        stored = AccessToken.objects.get(pk=token.pk)
    assert secret not in {stored.key_hash, stored.name, stored.public_id}
    assert stored.public_id.startswith("pat_")


# --- problem documents ------------------------------------------------------
def test_an_unknown_api_path_is_404_problem(client_a):
    _assert_problem(client_a.get("/api/v1/no-such-thing"), 404)


def test_a_wrong_method_is_405_problem(client_a):
    _assert_problem(client_a.delete("/api/v1/institution"), 405)


def test_an_unknown_ui_path_is_an_html_404(client_a):
    response = client_a.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Page not found" in response.content.decode()


def test_validation_errors_list_each_field():
    class Input(serializers.Serializer):
        title = serializers.CharField(max_length=3)
        tags = serializers.ListField(child=serializers.CharField(max_length=2))

    data = Input(data={"title": "too long", "tags": ["ok", "long"]})
    assert not data.is_valid()
    response = exception_handler(exceptions.ValidationError(data.errors), {})
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.data["type"].endswith("/validation-error")
    assert set(response.data["errors"]) == {"title", "tags.1"}


def test_throttled_answers_429_with_retry_after():
    response = exception_handler(exceptions.Throttled(wait=12), {})
    assert response.status_code == 429
    assert response["Retry-After"] == "12"


# --- cursor pagination ------------------------------------------------------
def test_cursor_pagination_walks_every_row_once_in_a_stable_order(
    world, django_assert_max_num_queries
):
    factory = APIRequestFactory()
    with schema_context(world.tenant_a.schema_name):
        for index in range(7):
            user_create(username=f"pager{index}", display_name=f"Pager {index}")
        queryset = User.objects.filter(username__startswith="pager")
        seen: list[str] = []
        url = "/api/v1/people/?limit=3"
        pages = 0
        while url:
            request = Request(factory.get(url, HTTP_HOST=world.host_a))
            paginator = CursorPagination()
            paginator.ordering = ("-id",)
            with django_assert_max_num_queries(1):
                page = paginator.paginate_queryset(queryset, request)
            seen += [user.username for user in page]
            body = paginator.get_paginated_response([u.public_id for u in page]).data
            assert set(body) == {"results", "next"}
            url = body["next"]
            pages += 1
    assert seen == [f"pager{index}" for index in reversed(range(7))]
    assert pages == 3


@pytest.mark.parametrize(("limit", "expected"), [("500", 100), ("0", 25), ("abc", 25), ("10", 10)])
def test_the_page_size_is_bounded(limit, expected):
    request = APIRequestFactory().get(f"/api/v1/x?limit={limit}")
    assert CursorPagination().get_page_size(Request(request)) == expected


# --- OpenAPI ----------------------------------------------------------------
def test_the_openapi_document_is_served_on_institution_hosts(client_a):
    response = client_a.get("/api/schema/?format=json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/institution" in spec["paths"]
    assert "/api/v1/me" in spec["paths"]


def test_the_api_docs_page_is_served_without_a_cdn(client_a):
    response = client_a.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


@pytest.mark.parametrize("position", ["abc", "1\x00", "9" * 40])
def test_a_forged_cursor_is_a_404_not_a_500(world, position):
    from base64 import b64encode
    from urllib.parse import quote, urlencode

    cursor = b64encode(urlencode({"p": position}).encode()).decode()
    request = Request(APIRequestFactory().get(f"/api/v1/x?cursor={quote(cursor)}"))
    paginator = CursorPagination()
    with schema_context(world.tenant_a.schema_name), pytest.raises(exceptions.NotFound):
        list(paginator.paginate_queryset(User.objects.all(), request) or [])
