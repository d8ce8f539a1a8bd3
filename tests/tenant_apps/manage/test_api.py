"""Admin API (/api/v1/admin/...): admins only (401 anonymous, 403 members, 404 other
institutions' ids), problem documents for bad input, cursor pages in bounded queries."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.people.models import User
from tenant_apps.people.services import user_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def as_admin(world, bearer) -> dict:
    return bearer(world.admin_a)


def _person(world, username: str) -> User:
    with schema_context(world.tenant_a.schema_name):
        return User.objects.get(username=username)


def _count(world) -> int:
    with schema_context(world.tenant_a.schema_name):
        return User.objects.count()


ENDPOINTS = [
    ("get", "/api/v1/admin/people/", None),
    ("post", "/api/v1/admin/people/", {"email": "z@example.edu", "display_name": "Z"}),
    ("get", "/api/v1/admin/people/{alice}", None),
    ("patch", "/api/v1/admin/people/{alice}", {"is_active": False}),
    ("get", "/api/v1/admin/institution", None),
    ("patch", "/api/v1/admin/institution", {"name": "Hacked"}),
    ("get", "/api/v1/admin/signin", None),
    ("patch", "/api/v1/admin/signin", {"local": False}),
    ("get", "/api/v1/admin/signin/oidc", None),
    ("patch", "/api/v1/admin/signin/oidc", {"enabled": False}),
    ("get", "/api/v1/admin/audit/", None),
]


def _call(client, method, path, data, world, **extra):
    path = path.format(alice=world.alice.public_id)
    if data is None:
        return getattr(client, method)(path, **extra)
    return getattr(client, method)(path, data, content_type="application/json", **extra)


@pytest.mark.parametrize(("method", "path", "data"), ENDPOINTS)
def test_anonymous_callers_get_401(client_a, world, method, path, data):
    response = _call(client_a, method, path, data, world)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(("method", "path", "data"), ENDPOINTS)
def test_members_who_are_not_admins_get_403_and_change_nothing(
    client_a, world, method, path, data, bearer
):
    response = _call(client_a, method, path, data, world, **bearer(world.bob))
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert world.alice.email not in response.content.decode()
    assert _person(world, "alice").is_active and _count(world) == 3
    with schema_context(world.tenant_a.schema_name):
        assert InstitutionProfile.objects.get().name == "Alpha University"


@pytest.mark.parametrize(("method", "data"), [("get", None), ("patch", {"is_active": False})])
def test_an_admin_of_another_institution_gets_404_for_its_ids(
    client_b, world, method, data, bearer
):
    with schema_context(world.tenant_b.schema_name):
        beta_admin = user_create(username="beta-admin", password=PASSWORD, is_admin=True)
    response = _call(
        client_b,
        method,
        "/api/v1/admin/people/{alice}",
        data,
        world,
        **bearer(beta_admin, world.tenant_b),
    )
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    assert _person(world, "alice").is_active


def test_charlies_token_is_worthless_on_alphas_host(client_a, world, bearer):
    response = client_a.get("/api/v1/admin/people/", **bearer(world.charlie, world.tenant_b))
    assert response.status_code == 401


def test_admins_list_everyone_with_usernames_and_emails_in_cursor_pages(
    client_a, world, as_admin, django_assert_max_num_queries
):
    with schema_context(world.tenant_a.schema_name):
        for index in range(30):
            user_create(username=f"s{index:02d}", display_name=f"Student {index:02d}")
    client_a.get("/api/v1/admin/people/?limit=20", **as_admin)
    seen = []
    url = "/api/v1/admin/people/?limit=20"
    while url:
        with django_assert_max_num_queries(6):
            body = client_a.get(url, **as_admin).json()
        seen += body["results"]
        url = body["next"] and re.sub(r"^https?://[^/]+", "", body["next"])
    assert len(seen) == len({p["id"] for p in seen}) == 33
    alice = next(p for p in seen if p["id"] == world.alice.public_id)
    assert alice["username"] == "alice" and alice["email"] == "alice@example.edu"
    assert alice["is_active"] and not alice["is_admin"] and alice["has_password"]
    found = client_a.get("/api/v1/admin/people/?q=bob@", **as_admin).json()["results"]
    assert [p["username"] for p in found] == ["bob"]


def test_an_invitation_through_the_api(
    client_a, world, as_admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            "/api/v1/admin/people/",
            {"email": "dora@example.edu", "display_name": "Dora Diaz", "username": "ddiaz"},
            content_type="application/json",
            **as_admin,
        )
    assert response.status_code == 201
    body = response.json()
    assert (body["username"], body["has_password"], body["is_active"]) == ("ddiaz", False, True)
    assert len(mailoutbox) == 1
    assert f"://{world.host_a}{settings.PLATFORM_URL_PORT}/welcome/" in mailoutbox[0].body
    assert client_a.get(f"/api/v1/admin/people/{body['id']}", **as_admin).json() == body


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"display_name": "No Mail"}, "email"),
        ({"email": "bad", "display_name": "X"}, "email"),
        ({"email": "bob@example.edu", "display_name": "X"}, "email"),
        ({"email": "x@example.edu", "display_name": " "}, "display_name"),
        ({"email": "x@example.edu", "display_name": "X", "username": "alice"}, "username"),
    ],
)
def test_a_bad_invitation_is_a_validation_problem(
    client_a, world, as_admin, mailoutbox, django_capture_on_commit_callbacks, data, field
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            "/api/v1/admin/people/", data, content_type="application/json", **as_admin
        )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert field in response.json()["errors"]
    assert _count(world) == 3 and mailoutbox == []


def test_deactivating_and_granting_admin(client_a, world, as_admin, bearer):
    url = f"/api/v1/admin/people/{world.bob.public_id}"
    body = client_a.patch(
        url, {"is_active": False}, content_type="application/json", **as_admin
    ).json()
    assert body["is_active"] is False
    assert client_a.get("/api/v1/me", **bearer(world.bob)).status_code == 401
    body = client_a.patch(
        url, {"is_active": True, "is_admin": True}, content_type="application/json", **as_admin
    ).json()
    assert (body["is_active"], body["is_admin"]) == (True, True)
    assert client_a.get("/api/v1/admin/people/", **bearer(world.bob)).status_code == 200


@pytest.mark.parametrize("data", [{"is_active": False}, {"is_admin": False}])
def test_the_last_admin_cannot_be_removed(client_a, world, as_admin, data):
    response = client_a.patch(
        f"/api/v1/admin/people/{world.admin_a.public_id}",
        data,
        content_type="application/json",
        **as_admin,
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert "at least one active admin" in str(response.json()["errors"])
    admin = _person(world, "alpha-admin")
    assert admin.is_active and admin.is_staff


@pytest.mark.parametrize("data", [{}, {"is_active": "maybe"}, {"username": "renamed"}])
def test_a_bad_access_change_is_refused(client_a, world, as_admin, data):
    response = client_a.patch(
        f"/api/v1/admin/people/{world.bob.public_id}",
        data,
        content_type="application/json",
        **as_admin,
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    bob = _person(world, "bob")
    assert bob.is_active and bob.username == "bob"


def test_unknown_people_are_404(client_a, as_admin):
    response = client_a.get("/api/v1/admin/people/u_doesnotexist", **as_admin)
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM


def test_reading_and_changing_the_institution(client_a, world, as_admin):
    assert client_a.get("/api/v1/admin/institution", **as_admin).json() == {
        "name": "Alpha University",
        "primary_colour": "#1f4e8c",
        "default_visibility": "loggedin",
        "search_language": "english",
        "self_registration": False,
        "registration_domains": [],
        "trash_days": 30,
        "language": "",
        "time_zone": "UTC",
    }
    response = client_a.patch(
        "/api/v1/admin/institution",
        {"primary_colour": "#112233", "default_visibility": "public"},
        content_type="application/json",
        **as_admin,
    )
    assert response.status_code == 200
    assert response.json()["default_visibility"] == "public"
    assert (
        Client(HTTP_HOST=world.host_a).get("/api/v1/institution").json()["primary_colour"]
        == "#112233"
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"primary_colour": "blue"}, "primary_colour"),
        ({"default_visibility": "world"}, "default_visibility"),
        ({"name": "   "}, "name"),
        ({}, "non_field_errors"),
    ],
)
def test_bad_institution_settings_are_refused(client_a, world, as_admin, data, field):
    response = client_a.patch(
        "/api/v1/admin/institution", data, content_type="application/json", **as_admin
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert field in response.json()["errors"]
    with schema_context(world.tenant_a.schema_name):
        profile = InstitutionProfile.objects.get()
    assert (profile.name, profile.primary_colour) == ("Alpha University", "#1f4e8c")
