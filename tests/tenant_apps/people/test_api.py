"""People API: profiles by visibility, the directory, sign-in, tokens; no one else's username
or e-mail anywhere; ids of one institution are 404 on another."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.people.models import User, Visibility
from tenant_apps.people.services import profile_update, user_create
from tests.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def _set(world, person, tenant=None, **changes) -> None:
    with schema_context((tenant or world.tenant_a).schema_name):
        profile_update(actor=person, person=User.objects.get(pk=person.pk), **changes)


def _no_identifiers_of_others(response, *others) -> None:
    text = response.content.decode().lower()
    for person in others:
        assert f'"{person.username.lower()}"' not in text
        assert person.email.lower() not in text


@pytest.fixture(autouse=True)
def _clear_signin_counters():
    cache.clear()
    yield
    cache.clear()


# --- profiles -------------------------------------------------------------------
def test_a_member_sees_loggedin_fields_and_never_username_or_email(client_a, world, bearer):
    _set(
        world,
        world.alice,
        department="History",
        biography="Medievalist",
        biography_visibility=Visibility.PRIVATE,
    )
    response = client_a.get(f"/api/v1/people/{world.alice.public_id}", **bearer(world.bob))
    assert response.status_code == 200
    assert response.json() == {
        "id": world.alice.public_id,
        "display_name": "Alice Archer",
        "department": "History",
        "role": "",
    }
    _no_identifiers_of_others(response, world.alice)


def test_the_person_and_an_admin_see_private_fields(client_a, world, bearer):
    _set(world, world.alice, biography="Medievalist", biography_visibility=Visibility.PRIVATE)
    for viewer in (world.alice, world.admin_a):
        body = client_a.get(f"/api/v1/people/{world.alice.public_id}", **bearer(viewer)).json()
        assert body["biography"] == "Medievalist"


def test_anonymous_visitors_see_only_public_profiles(client_a, world):
    assert client_a.get(f"/api/v1/people/{world.alice.public_id}").status_code == 404
    _set(
        world,
        world.alice,
        display_name_visibility=Visibility.PUBLIC,
        role="Lecturer",
        role_visibility=Visibility.PUBLIC,
    )
    response = client_a.get(f"/api/v1/people/{world.alice.public_id}")
    assert response.json() == {
        "id": world.alice.public_id,
        "display_name": "Alice Archer",
        "role": "Lecturer",
    }


def test_a_hidden_display_name_hides_the_person_from_peers(client_a, world, bearer):
    _set(world, world.alice, display_name_visibility=Visibility.PRIVATE)
    response = client_a.get(f"/api/v1/people/{world.alice.public_id}", **bearer(world.bob))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_ids_of_another_institution_answer_404(client_b, world, bearer):
    response = client_b.get(
        f"/api/v1/people/{world.alice.public_id}", **bearer(world.charlie, world.tenant_b)
    )
    assert response.status_code == 404
    assert "Alice" not in response.content.decode()


def test_a_token_of_another_institution_is_refused(client_b, world, bearer):
    assert client_b.get("/api/v1/people/", **bearer(world.alice)).status_code == 401


# --- the directory --------------------------------------------------------------
def test_the_directory_lists_visible_listed_people_by_name(client_a, world, bearer):
    _set(world, world.bob, listed_in_directory=False)
    response = client_a.get("/api/v1/people/", **bearer(world.alice))
    names = [person["display_name"] for person in response.json()["results"]]
    assert names == ["Ada Admin", "Alice Archer"]
    _no_identifiers_of_others(response, world.admin_a, world.bob)


def test_the_directory_is_empty_for_anonymous_until_someone_is_public(client_a, world):
    assert client_a.get("/api/v1/people/").json()["results"] == []
    _set(world, world.bob, display_name_visibility=Visibility.PUBLIC)
    assert [p["id"] for p in client_a.get("/api/v1/people/").json()["results"]] == [
        world.bob.public_id
    ]


def test_searching_never_finds_a_hidden_name(client_a, world, bearer):
    _set(world, world.alice, display_name_visibility=Visibility.PRIVATE)
    headers = bearer(world.bob)
    assert client_a.get("/api/v1/people/?q=Archer", **headers).json()["results"] == []
    assert len(client_a.get("/api/v1/people/?q=bak", **headers).json()["results"]) == 1


def test_the_directory_pages_with_a_cursor_and_bounded_queries(
    client_a, world, django_assert_max_num_queries, bearer
):
    with schema_context(world.tenant_a.schema_name):
        for index in range(30):
            user_create(username=f"student{index:02d}", display_name=f"Student {index:02d}")
    headers = bearer(world.alice)
    client_a.get("/api/v1/people/?limit=5", **headers)  # warm the host cache
    seen = []
    url = "/api/v1/people/?limit=10"
    while url:
        with django_assert_max_num_queries(4):
            body = client_a.get(url, **headers).json()
        seen += [person["id"] for person in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 33


def test_deactivated_people_disappear(client_a, world, bearer):
    with schema_context(world.tenant_a.schema_name):
        User.objects.filter(pk=world.bob.pk).update(is_active=False)
    headers = bearer(world.alice)
    assert client_a.get(f"/api/v1/people/{world.bob.public_id}", **headers).status_code == 404
    assert world.bob.public_id not in client_a.get("/api/v1/people/", **headers).content.decode()


# --- one's own account ----------------------------------------------------------
def test_me_shows_and_edits_ones_own_profile(client_a, world, bearer):
    headers = bearer(world.alice)
    response = client_a.patch(
        "/api/v1/me",
        json.dumps(
            {"department": " Physics ", "role_visibility": "public", "listed_in_directory": False}
        ),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["department"], body["role_visibility"], body["listed_in_directory"]) == (
        "Physics",
        "public",
        False,
    )
    assert body["email"] == "alice@example.edu"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"display_name": ""}, "display_name"),
        ({"role_visibility": "everyone"}, "role_visibility"),
        ({"department": "x" * 201}, "department"),
        ({}, "non_field_errors"),
        ({"username": "new-name"}, "non_field_errors"),
    ],
)
def test_bad_profile_edits_are_400_problems_and_change_nothing(
    client_a, world, payload, field, bearer
):
    response = client_a.patch(
        "/api/v1/me",
        json.dumps(payload),
        content_type="application/json",
        **bearer(world.alice),
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    with schema_context(world.tenant_a.schema_name):
        alice = User.objects.get(pk=world.alice.pk)
    assert (alice.display_name, alice.username, alice.department) == ("Alice Archer", "alice", "")


def test_me_needs_a_signed_in_person(client_a):
    assert client_a.patch("/api/v1/me", "{}", content_type="application/json").status_code == 401


# --- sign-in and tokens ---------------------------------------------------------
def test_signing_in_returns_a_token_that_works(client_a, world):
    response = client_a.post("/api/v1/auth/token", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["user"] == {"id": world.alice.public_id}
    me = client_a.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.json()["username"] == "alice"


def test_an_account_of_one_institution_cannot_sign_in_on_another(client_b):
    response = client_b.post("/api/v1/auth/token", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 401
    assert response.json()["detail"] == "The username or password is not correct."


@pytest.mark.parametrize("payload", [{}, {"username": "alice"}, {"password": "x"}])
def test_sign_in_needs_both_fields(client_a, payload):
    assert client_a.post("/api/v1/auth/token", payload).status_code == 400


def test_failed_sign_ins_are_rate_limited_per_account(client_a):
    for _ in range(5):
        wrong = client_a.post("/api/v1/auth/token", {"username": "bob", "password": "wrong"})
        assert wrong.status_code == 401
    refused = client_a.post("/api/v1/auth/token", {"username": "bob", "password": PASSWORD})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many failed sign-ins" in refused.json()["detail"]
    # Another account from another address is unaffected.
    other = client_a.post(
        "/api/v1/auth/token",
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    assert other.status_code == 201


def test_failed_sign_ins_are_rate_limited_per_address(client_a):
    for index in range(20):
        client_a.post("/api/v1/auth/token", {"username": f"nobody{index}", "password": "x"})
    refused = client_a.post("/api/v1/auth/token", {"username": "alice", "password": PASSWORD})
    assert refused.status_code == 429


def test_a_read_only_institution_still_lets_people_sign_in(client_a, world):
    from shared_apps.audit.services import Actor
    from tenants.services import tenant_suspend

    tenant_suspend(tenant=world.tenant_a, actor=Actor.system("test"))
    response = client_a.post("/api/v1/auth/token", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 201


def test_tokens_are_listed_created_and_revoked_by_their_owner_only(client_a, world, bearer):
    headers = bearer(world.alice)
    created = client_a.post("/api/v1/me/tokens/", {"name": "laptop"}, **headers)
    assert created.status_code == 201
    listed = client_a.get("/api/v1/me/tokens/", **headers).json()["results"]
    assert {token["name"] for token in listed} == {"t", "laptop"}
    assert all("token" not in token and "key_hash" not in token for token in listed)
    laptop = next(token for token in listed if token["name"] == "laptop")
    bob = bearer(world.bob)
    assert client_a.delete(f"/api/v1/me/tokens/{laptop['id']}", **bob).status_code == 404
    assert client_a.delete(f"/api/v1/me/tokens/{laptop['id']}", **headers).status_code == 204
    revoked = client_a.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {created.json()['token']}")
    assert revoked.status_code == 401


def test_a_session_works_for_the_people_api(world):
    client = sign_in(Client(HTTP_HOST=world.host_a), world.bob, world.tenant_a)
    assert client.get(f"/api/v1/people/{world.alice.public_id}").status_code == 200


def test_a_strangers_failures_do_not_lock_the_owner_out(client_a):
    for _ in range(8):
        wrong = client_a.post(
            "/api/v1/auth/token",
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="203.0.113.66",
        )
        assert wrong.status_code in (401, 429)
    owner = client_a.post(
        "/api/v1/auth/token",
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.20",
    )
    assert owner.status_code == 201


def test_tokens_take_an_expiry_and_show_their_last_use(client_a, world, bearer):
    from django.utils import timezone

    from tenant_apps.people.models import AccessToken

    headers = bearer(world.alice)
    created = client_a.post("/api/v1/me/tokens/", {"name": "ci", "expires_in_days": 90}, **headers)
    assert created.status_code == 201
    raw = created.json()["token"]
    listed = client_a.get("/api/v1/me/tokens/", **headers).json()["results"]
    ci = next(token for token in listed if token["name"] == "ci")
    assert ci["expires"] is not None and ci["last_used"] is None
    assert client_a.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    listed = client_a.get("/api/v1/me/tokens/", **headers).json()["results"]
    assert next(t for t in listed if t["name"] == "ci")["last_used"] is not None
    # Once past its expiry the token authenticates no one.
    # (Saved through the model: its signal tells every process's token cache.)
    with schema_context(world.tenant_a.schema_name):
        row = AccessToken.objects.get(public_id=ci["id"])
        row.expires = timezone.now() - timezone.timedelta(minutes=1)
        row.save(update_fields=["expires"])
    assert client_a.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    too_long = client_a.post("/api/v1/me/tokens/", {"expires_in_days": 99999}, **headers)
    assert too_long.status_code == 400


def test_a_token_from_a_password_can_expire(client_a):
    answer = client_a.post(
        "/api/v1/auth/token",
        {"username": "alice", "password": PASSWORD, "expires_in_days": 1},
    )
    assert answer.status_code == 201
    me = client_a.get("/api/v1/me/tokens/", HTTP_AUTHORIZATION=f"Bearer {answer.json()['token']}")
    assert me.json()["results"][0]["expires"] is not None
