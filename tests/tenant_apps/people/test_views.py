"""The people pages: sign-in, the directory, profiles, editing; and a crawl proving no page shows
another person's username or e-mail."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.audit.services import Actor
from tenant_apps.people.models import User, Visibility
from tenant_apps.people.services import profile_update, user_create
from tenants.services import tenant_suspend
from tests.conftest import PASSWORD, sign_in
from tests.crawl import crawl

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_signin_counters():
    cache.clear()
    yield
    cache.clear()


def _set(world, person, **changes) -> None:
    with schema_context(world.tenant_a.schema_name):
        profile_update(actor=person, person=User.objects.get(pk=person.pk), **changes)


def test_the_home_page_carries_the_institutions_name_and_navigation(client_a):
    html = client_a.get("/").content.decode()
    assert "<title>Home - Alpha University</title>" in html
    assert 'href="/signin"' in html and 'href="/people/"' in html


def test_signing_in_and_out(client_a, world):
    page = client_a.get("/signin")
    assert page.status_code == 200
    assert '<label for="id_username">Username</label>' in page.content.decode()
    wrong = client_a.post("/signin", {"username": "alice", "password": "nope"})
    assert wrong.status_code == 400
    assert "The username or password is not correct." in wrong.content.decode()
    right = client_a.post(
        "/signin", {"username": "alice", "password": PASSWORD, "next": "/people/"}
    )
    assert right.status_code == 302 and right["Location"] == "/people/"
    assert "Welcome, Alice Archer" in client_a.get("/").content.decode()
    assert client_a.post("/signout").status_code == 302
    assert "Welcome, Alice" not in client_a.get("/").content.decode()


def test_sign_in_never_redirects_off_the_institution(client_a):
    response = client_a.post(
        "/signin", {"username": "alice", "password": PASSWORD, "next": "https://evil.example/steal"}
    )
    assert response["Location"] == "/"


def test_an_account_of_another_institution_cannot_sign_in(client_b):
    response = client_b.post("/signin", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 400


def test_failed_sign_ins_are_rate_limited_with_a_clear_message(client_a):
    for _ in range(5):
        client_a.post("/signin", {"username": "bob", "password": "wrong"})
    refused = client_a.post("/signin", {"username": "bob", "password": PASSWORD})
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.content.decode()


def test_people_can_sign_in_to_a_read_only_institution_but_not_edit(client_a, world):
    tenant_suspend(tenant=world.tenant_a, actor=Actor.system("test"))
    assert client_a.post("/signin", {"username": "alice", "password": PASSWORD}).status_code == 302
    edit = client_a.post("/me/edit", {"display_name": "New"})
    assert edit.status_code == 423
    assert "read-only for now" in edit.content.decode()


def test_the_directory_shows_members_only_what_they_may_see(client_a, world):
    _set(world, world.bob, display_name_visibility=Visibility.PRIVATE)
    assert "Alice Archer" not in client_a.get("/people/").content.decode()  # anonymous
    sign_in(client_a, world.alice, world.tenant_a)
    html = client_a.get("/people/").content.decode()
    assert "Alice Archer" in html and "Ada Admin" in html and "Bob Baker" not in html
    assert client_a.get("/people/?q=Bob").content.decode().count("Bob Baker") == 0


def test_the_directory_pages_by_keyset(client_a, world, django_assert_max_num_queries):
    with schema_context(world.tenant_a.schema_name):
        for index in range(55):
            user_create(username=f"s{index:02d}", display_name=f"Student {index:02d}")
    sign_in(client_a, world.alice, world.tenant_a)
    client_a.get("/people/")
    with django_assert_max_num_queries(5):
        first = client_a.get("/people/").content.decode()
    after = re.search(r"after=(u_[a-z2-7]+)", first).group(1)
    with django_assert_max_num_queries(6):
        second = client_a.get(f"/people/?after={after}").content.decode()
    names = re.findall(r">(Student \d\d|Alice Archer|Ada Admin|Bob Baker)<", first + second)
    assert len(names) == len(set(names)) == 58
    assert client_a.get("/people/?after=u_doesnotexist").status_code == 404


def test_a_profile_page_respects_visibility_and_institution(client_a, client_b, world):
    _set(
        world,
        world.alice,
        department="History",
        biography="Secret",
        biography_visibility=Visibility.PRIVATE,
    )
    sign_in(client_a, world.bob, world.tenant_a)
    html = client_a.get(f"/people/{world.alice.public_id}").content.decode()
    assert "History" in html and "Secret" not in html
    assert client_b.get(f"/people/{world.alice.public_id}").status_code == 404
    sign_in(client_b, world.charlie, world.tenant_b)
    assert client_b.get(f"/people/{world.alice.public_id}").status_code == 404


def test_editing_ones_profile(client_a, world):
    assert client_a.get("/me/edit")["Location"].startswith("/signin")
    sign_in(client_a, world.alice, world.tenant_a)
    form = client_a.get("/me/edit").content.decode()
    assert 'for="id_department"' in form
    bad = client_a.post(
        "/me/edit",
        {
            "display_name": "  ",
            "display_name_visibility": "loggedin",
            "department_visibility": "loggedin",
            "role_visibility": "loggedin",
            "biography_visibility": "loggedin",
        },
    )
    assert bad.status_code == 400 and "cannot be empty" in bad.content.decode()
    good = client_a.post(
        "/me/edit",
        {
            "display_name": "Alice A. Archer",
            "display_name_visibility": "public",
            "department": "History",
            "department_visibility": "loggedin",
            "role": "",
            "role_visibility": "loggedin",
            "biography": "",
            "biography_visibility": "private",
            "listed_in_directory": "on",
        },
    )
    assert good.status_code == 302
    with schema_context(world.tenant_a.schema_name):
        alice = User.objects.get(pk=world.alice.pk)
    assert (alice.display_name, alice.display_name_visibility, alice.department) == (
        "Alice A. Archer",
        "public",
        "History",
    )


@pytest.mark.parametrize("who", ["alice", "bob", "charlie"])
def test_no_page_or_api_response_shows_another_persons_username_or_email(world, who):
    viewer = getattr(world, who)
    tenant = world.tenant_b if who == "charlie" else world.tenant_a
    host = world.host_b if who == "charlie" else world.host_a
    for person in (world.alice, world.bob):
        _set(world, person, department="Dept", department_visibility=Visibility.PUBLIC)
    client = sign_in(Client(HTTP_HOST=host), viewer, tenant)
    pages = crawl(
        client,
        [
            "/",
            "/people/",
            "/api/v1/people/",
            "/api/v1/institution",
            f"/api/v1/people/{world.alice.public_id}",
            f"/api/v1/people/{world.bob.public_id}",
        ],
    )
    assert len(pages) >= 5
    everyone = [world.alice, world.bob, world.admin_a, world.charlie]
    for path, body in pages.items():
        lowered = body.lower()
        for person in everyone:
            # One's own account (the API's and the page's) shows one's own address.
            if person.pk == viewer.pk and path in ("/api/v1/me", "/account/"):
                continue
            assert person.email.lower() not in lowered, (path, person.username)
            assert f'"{person.username}"' not in lowered, (path, person.username)
            assert f">{person.username}<" not in lowered, (path, person.username)


def test_a_strangers_failures_do_not_lock_the_owner_out_of_the_sign_in_page(client_a):
    for _ in range(8):
        client_a.post(
            "/signin", {"username": "bob", "password": "wrong"}, REMOTE_ADDR="203.0.113.5"
        )
    refused = client_a.post(
        "/signin", {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="203.0.113.5"
    )
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    owner = client_a.post(
        "/signin", {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="198.51.100.21"
    )
    assert owner.status_code == 302


def test_the_directory_s_first_page_from_learned_rows_is_the_built_one(world):
    """The first page (learned SQL, rows of columns: ``directory_first_page``) lists the
    same people with the same profiles as ``people_page`` of ``people_directory`` and
    ``profile_for`` of each, for a member, an admin, someone with hidden fields and an
    anonymous visitor, in each institution; and the whole page is the same markup."""
    from django.contrib.auth.models import AnonymousUser
    from django.test import override_settings

    from config.db.shapes import shapes
    from tenant_apps.people.selectors import (
        directory_first_page,
        people_directory,
        people_page,
        profile_for,
    )

    _set(world, world.bob, department="Physics", department_visibility=Visibility.PRIVATE)
    _set(world, world.admin_a, display_name_visibility=Visibility.PRIVATE)
    with schema_context(world.tenant_a.schema_name):
        for index in range(4):
            user_create(username=f"r{index}", display_name=f"Reader {index}")
    cases = (
        (world.tenant_a, (world.alice, world.bob, world.admin_a, AnonymousUser())),
        (world.tenant_b, (world.charlie, AnonymousUser())),
    )
    for _round in range(2):  # learns, then replays
        for tenant, viewers in cases:
            with schema_context(tenant.schema_name):
                for viewer in viewers:
                    viewer = User.objects.get(pk=viewer.pk) if viewer.pk else viewer
                    for size in (2, 50):
                        page, after = people_page(
                            people_directory(viewer=viewer), after=None, size=size
                        )
                        expected = ([profile_for(viewer, p) for p in page], after)
                        assert directory_first_page(viewer, size) == expected
    assert ("people-directory", 50) in {key[0] for key in shapes._shapes}
    alice = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    with override_settings(SQL_SHAPES_CACHED=False, FRAGMENTS_REMEMBERED=False):
        built = token.sub("", alice.get("/people/").content.decode())
    assert token.sub("", alice.get("/people/").content.decode()) == built
    assert "Physics" not in built  # Bob's hidden department
