"""Institution administration pages (/manage/...): people, invitations, CSV import, access,
settings; only the institution's own admins, and the only pages with usernames and e-mails."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.people.admin_services import person_access_set
from tenant_apps.people.models import User, Visibility
from tenant_apps.people.services import user_create
from tests.conftest import PASSWORD, sign_in
from tests.crawl import crawl

pytestmark = pytest.mark.django_db

MANAGE_PAGES = [
    "/manage/",
    "/manage/people/",
    "/manage/people/invite",
    "/manage/people/import",
    "/manage/institution",
]


@pytest.fixture(autouse=True)
def _clear_signin_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_client(client_a, world) -> Client:
    return sign_in(client_a, world.admin_a, world.tenant_a)


def _in_a(world, function, *args, **kwargs):
    with schema_context(world.tenant_a.schema_name):
        return function(*args, **kwargs)


def _person(world, username: str) -> User:
    return _in_a(world, lambda: User.objects.get(username=username))


def _count(world) -> int:
    return _in_a(world, User.objects.count)


def _beta_admin_client(world) -> Client:
    with schema_context(world.tenant_b.schema_name):
        beta_admin = user_create(
            username="beta-admin", email="ba@beta.example", password=PASSWORD, is_admin=True
        )
    return sign_in(Client(HTTP_HOST=world.host_b), beta_admin, world.tenant_b)


# --- who may come in -----------------------------------------------------------------
@pytest.mark.parametrize("path", MANAGE_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client_a, path):
    response = client_a.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/signin?next=")


@pytest.mark.parametrize("path", MANAGE_PAGES)
def test_members_who_are_not_admins_are_refused(client_a, world, path):
    sign_in(client_a, world.bob, world.tenant_a)
    response = client_a.get(path)
    assert response.status_code == 403
    assert world.alice.email not in response.content.decode()


def test_members_cannot_act_as_admins(client_a, world):
    sign_in(client_a, world.bob, world.tenant_a)
    alice = world.alice.public_id
    assert client_a.get(f"/manage/people/{alice}").status_code == 403
    response = client_a.post(f"/manage/people/{alice}/access", {"action": "deactivate"})
    assert response.status_code == 403
    invite = client_a.post("/manage/people/invite", {"email": "x@example.edu", "display_name": "X"})
    assert invite.status_code == 403
    settings = client_a.post(
        "/manage/institution",
        {"name": "Hacked", "primary_colour": "#000000", "default_visibility": "public"},
    )
    assert settings.status_code == 403
    assert _person(world, "alice").is_active
    assert _in_a(world, InstitutionProfile.objects.get).name == "Alpha University"


def test_an_admin_of_another_institution_gets_404_for_its_people(world):
    client = _beta_admin_client(world)
    alice = world.alice.public_id
    assert client.get("/manage/people/").status_code == 200
    assert client.get(f"/manage/people/{alice}").status_code == 404
    assert (
        client.post(f"/manage/people/{alice}/access", {"action": "deactivate"}).status_code == 404
    )
    assert "Alice Archer" not in client.get("/manage/people/?q=alice").content.decode()
    assert _person(world, "alice").is_active


def test_charlie_holding_alpha_ids_gets_404_or_sign_in(client_b, world):
    sign_in(client_b, world.charlie, world.tenant_b)
    # Charlie is no admin of beta, and nobody at all on alpha's host.
    assert client_b.get(f"/manage/people/{world.alice.public_id}").status_code == 403
    client_a = sign_in(Client(HTTP_HOST=world.host_a), world.charlie, world.tenant_b)
    assert client_a.get(f"/manage/people/{world.alice.public_id}").status_code == 302


def test_the_manage_link_is_shown_to_admins_only(client_a, world):
    assert 'href="/manage/people/"' not in client_a.get("/").content.decode()
    sign_in(client_a, world.bob, world.tenant_a)
    assert 'href="/manage/people/"' not in client_a.get("/").content.decode()
    sign_in(client_a, world.admin_a, world.tenant_a)
    assert 'href="/manage/people/"' in client_a.get("/").content.decode()


# --- the list --------------------------------------------------------------------------
def test_the_list_shows_admins_usernames_and_emails_and_searches_them(admin_client, world):
    html = admin_client.get("/manage/people/").content.decode()
    for person in (world.alice, world.bob, world.admin_a):
        assert person.email in html and f'<td data-label="Username">{person.username}</td>' in html
    found = admin_client.get("/manage/people/?q=bob@example").content.decode()
    assert "Bob Baker" in found and "Alice Archer" not in found
    assert "Ada Admin" in admin_client.get("/manage/people/?q=alpha-ad").content.decode()


def test_the_list_pages_by_keyset_in_bounded_queries(
    admin_client, world, django_assert_max_num_queries
):
    with schema_context(world.tenant_a.schema_name):
        for index in range(60):
            user_create(username=f"s{index:02d}", display_name=f"Student {index:02d}")
    admin_client.get("/manage/people/")
    with django_assert_max_num_queries(6):
        first = admin_client.get("/manage/people/").content.decode()
    after = re.search(r"after=(u_[a-z2-7]+)", first).group(1)
    with django_assert_max_num_queries(7):
        second = admin_client.get(f"/manage/people/?after={after}").content.decode()
    names = re.findall(r">(Student \d\d|Alice Archer|Ada Admin|Bob Baker)</a>", first + second)
    assert len(names) == len(set(names)) == 63
    assert admin_client.get("/manage/people/?after=u_doesnotexist").status_code == 404


# --- invitations -----------------------------------------------------------------------
def test_an_invitation_mails_a_link_that_sets_a_password(
    admin_client, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/manage/people/invite",
            {"email": "dora@example.edu", "display_name": "Dora Diaz", "username": ""},
        )
    assert response.status_code == 302
    dora = _person(world, "dora")
    assert dora.email == "dora@example.edu" and not dora.has_usable_password()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["dora@example.edu"] and "Alpha University" in mail.subject
    link = re.search(r"https?://(\S+?)(/welcome/\S+/)", mail.body)
    # The institution's primary domain and the configured port, not the request's Host.
    assert link.group(1) == f"{world.host_a}{settings.PLATFORM_URL_PORT}"
    visitor = Client(HTTP_HOST=world.host_a)
    landing = visitor.get(link.group(2), follow=True)
    assert landing.status_code == 200
    form_url = landing.redirect_chain[-1][0]
    new_password = "a brand new long passphrase"
    done = visitor.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    fresh = Client(HTTP_HOST=world.host_a)
    signin = fresh.post("/signin", {"username": "dora", "password": new_password})
    assert signin.status_code == 302
    assert "Welcome, Dora Diaz" in fresh.get("/").content.decode()
    # The link works once.
    assert Client(HTTP_HOST=world.host_a).get(link.group(2), follow=True).status_code == 400


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"email": "not-an-address", "display_name": "X"}, "Enter a valid email address."),
        ({"email": "x@example.edu", "display_name": "   "}, "This field is required."),
        ({"email": "ALICE@example.edu", "display_name": "Alice 2"}, "already a member"),
        ({"email": "y@example.edu", "display_name": "Y", "username": "bob"}, "taken"),
        (
            {"email": "y@example.edu", "display_name": "Y", "username": "no spaces"},
            "valid username",
        ),
    ],
)
def test_a_bad_invitation_is_refused_and_changes_nothing(
    admin_client, world, mailoutbox, django_capture_on_commit_callbacks, data, field_message
):
    before = _count(world)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/manage/people/invite", data)
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert _count(world) == before and mailoutbox == []


# --- CSV import ------------------------------------------------------------------------
def _upload(client, content: bytes, name: str = "people.csv"):
    return client.post(
        "/manage/people/import", {"file": SimpleUploadedFile(name, content, "text/csv")}
    )


def test_an_import_adds_valid_rows_and_reports_each_rejected_one(
    admin_client, world, mailoutbox, django_capture_on_commit_callbacks
):
    content = (
        b"username,email,display_name,admin\n"
        b"erin,erin@example.edu,Erin Evans,no\n"
        b"frank,not-an-email,Frank Fox,\n"
        b"bob,bob2@example.edu,Another Bob,\n"
        b"gina,gina@example.edu,Gina Gray,yes\n"
        b"hal,hal@example.edu,Hal Hill,perhaps\n"
        b"ivy,ivy@example.edu\n"
        b"\n"
        b"jo,jo@example.edu,Jo Jones,\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(admin_client, content)
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 added and invited, 4 rejected." in html
    assert "Line 3: email: Enter a valid email address." in html
    assert "Line 4: username: This username is taken." in html
    assert "Line 6: admin must be yes or no." in html
    assert "Line 7: The row does not have 4 columns like the header." in html
    with schema_context(world.tenant_a.schema_name):
        added = dict(
            User.objects.filter(
                username__in=["erin", "gina", "jo", "frank", "hal", "ivy"]
            ).values_list("username", "is_staff")
        )
    assert added == {"erin": False, "gina": True, "jo": False}
    assert sorted(m.to[0] for m in mailoutbox) == [
        "erin@example.edu",
        "gina@example.edu",
        "jo@example.edu",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file"),
        ("username,email,display_name\n".encode("utf-16"), "This is not a CSV file"),
        (b"username,display_name\nkim,Kim\n", "lacks the column(s) email"),
        (b"hello there\n", "lacks the column(s) username, email, display_name"),
        (b"", "The submitted file is empty."),
    ],
)
def test_a_file_that_is_not_a_usable_csv_is_refused_whole(admin_client, world, content, message):
    before = _count(world)
    response = _upload(admin_client, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _count(world) == before


def test_an_import_without_a_file_is_refused(admin_client):
    response = admin_client.post("/manage/people/import", {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    for path in ("/manage/people/invite", "/manage/institution"):
        empty = admin_client.post(path, {})
        assert empty.status_code == 400 and "This field is required." in empty.content.decode()


# --- access ----------------------------------------------------------------------------
def test_deactivating_stops_sign_in_and_reactivating_restores_it(admin_client, world):
    url = f"/manage/people/{world.bob.public_id}/access"
    assert admin_client.post(url, {"action": "deactivate"}).status_code == 302
    assert not _person(world, "bob").is_active
    bob = Client(HTTP_HOST=world.host_a)
    assert bob.post("/signin", {"username": "bob", "password": PASSWORD}).status_code == 400
    assert admin_client.post(url, {"action": "reactivate"}).status_code == 302
    assert bob.post("/signin", {"username": "bob", "password": PASSWORD}).status_code == 302


def test_granting_and_revoking_admin(admin_client, world, client_a):
    url = f"/manage/people/{world.bob.public_id}/access"
    assert admin_client.post(url, {"action": "grant-admin"}).status_code == 302
    sign_in(client_a, world.bob, world.tenant_a)
    assert client_a.get("/manage/people/").status_code == 200
    assert admin_client.post(url, {"action": "revoke-admin"}).status_code == 302
    assert client_a.get("/manage/people/").status_code == 403


def test_an_unknown_action_is_refused(admin_client, world):
    response = admin_client.post(
        f"/manage/people/{world.bob.public_id}/access", {"action": "delete"}
    )
    assert response.status_code == 400
    assert _person(world, "bob").is_active
    assert admin_client.get(f"/manage/people/{world.bob.public_id}/access").status_code == 405


@pytest.mark.parametrize("action", ["deactivate", "revoke-admin"])
def test_the_last_admin_cannot_leave_the_institution_without_one(admin_client, world, action):
    response = admin_client.post(
        f"/manage/people/{world.admin_a.public_id}/access", {"action": action}
    )
    assert response.status_code == 400
    assert "at least one active admin" in response.content.decode()
    admin = _person(world, "alpha-admin")
    assert admin.is_active and admin.is_staff


def test_an_admin_may_step_down_once_another_admin_exists(admin_client, world):
    admin_client.post(f"/manage/people/{world.bob.public_id}/access", {"action": "grant-admin"})
    response = admin_client.post(
        f"/manage/people/{world.admin_a.public_id}/access", {"action": "revoke-admin"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert not _person(world, "alpha-admin").is_staff
    assert admin_client.get("/manage/people/").status_code == 403


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(world):
    with schema_context(world.tenant_a.schema_name):
        admin = User.objects.get(pk=world.admin_a.pk)
        bob = person_access_set(actor=admin, person=world.bob, is_admin=True)
        person_access_set(actor=admin, person=bob, is_active=False)
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError):
            person_access_set(actor=admin, person=admin, is_active=False)


# --- institution settings --------------------------------------------------------------
def test_settings_rebrand_every_page_and_set_new_profiles_visibility(admin_client, world):
    response = admin_client.post(
        "/manage/institution",
        {
            "name": "  Alpha   Institute ",
            "primary_colour": "#AA3300",
            "default_visibility": "private",
        },
    )
    assert response.status_code == 302
    home = Client(HTTP_HOST=world.host_a).get("/").content.decode()
    assert "<title>Home - Alpha Institute</title>" in home
    assert '<link rel="stylesheet" href="/theme.css?v=%23aa3300">' in home
    with schema_context(world.tenant_a.schema_name):
        newcomer = user_create(username="newcomer", display_name="New Comer")
    assert {newcomer.display_name_visibility, newcomer.biography_visibility} == {Visibility.PRIVATE}
    form = admin_client.get("/manage/institution").content.decode()
    assert 'value="Alpha Institute"' in form


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Ok", "primary_colour": "red", "default_visibility": "public"}, "Use a colour"),
        ({"name": "  ", "primary_colour": "#000000", "default_visibility": "public"}, "required"),
        (
            {"name": "Ok", "primary_colour": "#000000", "default_visibility": "world"},
            "valid choice",
        ),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(admin_client, world, data, message):
    response = admin_client.post("/manage/institution", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    profile = _in_a(world, InstitutionProfile.objects.get)
    assert (profile.name, profile.primary_colour, profile.default_visibility) == (
        "Alpha University",
        "#1f4e8c",
        "loggedin",
    )


# --- FERPA: usernames and e-mails only on /manage pages, only for admins ------------------


def _shows(body: str, person: User) -> bool:
    lowered = body.lower()
    return person.email.lower() in lowered or any(
        mark in lowered for mark in (f'"{person.username}"', f">{person.username}<")
    )


@pytest.mark.parametrize("who", ["admin_a", "alice", "bob"])
def test_usernames_and_emails_of_others_appear_only_on_manage_pages_for_admins(world, who):
    viewer = getattr(world, who)
    client = sign_in(Client(HTTP_HOST=world.host_a), viewer, world.tenant_a)
    start = [
        "/",
        "/people/",
        *MANAGE_PAGES,
        f"/manage/people/{world.alice.public_id}",
        f"/people/{world.alice.public_id}",
        "/api/v1/people/",
        f"/api/v1/people/{world.alice.public_id}",
        "/api/v1/admin/people/",
        f"/api/v1/admin/people/{world.alice.public_id}",
    ]
    pages = crawl(client, start, limit=80)
    assert len(pages) >= 10
    others = [p for p in (world.alice, world.bob, world.admin_a) if p.pk != viewer.pk]
    shown_on_manage = False
    for path, body in pages.items():
        is_admin_page = path.startswith(("/manage/", "/api/v1/admin/"))
        for person in others:
            if is_admin_page and viewer.is_staff:
                shown_on_manage |= _shows(body, person)
            else:
                assert not _shows(body, person), (path, person.username)
    assert shown_on_manage == viewer.is_staff


def test_the_people_quota_is_a_clear_refusal_for_invitations_and_imports(admin_client, world):
    from tenants.models import Tenant
    from tenants.selectors import tenant_cache_clear

    Tenant.objects.filter(pk=world.tenant_a.pk).update(quota_people=3)
    tenant_cache_clear()
    before = _count(world)
    invite = admin_client.post(
        "/manage/people/invite", {"email": "q@example.edu", "display_name": "Q"}
    )
    assert invite.status_code == 400 and "reached its limit of 3 people" in invite.content.decode()
    report = _upload(admin_client, b"username,email,display_name\nq,q@example.edu,Q\n")
    assert "Line 2: Alpha University has reached its limit" in report.content.decode()
    assert _count(world) == before


def test_every_admin_service_refuses_non_admins(world):
    from django.core.exceptions import PermissionDenied

    from tenant_apps.institution.admin_services import institution_settings_update
    from tenant_apps.people.access import access_person
    from tenant_apps.people.admin_selectors import people_for_admin
    from tenant_apps.people.admin_services import people_import_csv, person_invite

    calls = [
        lambda: person_invite(actor=world.bob, email="x@example.edu", display_name="X"),
        lambda: people_import_csv(actor=world.bob, data=b"username,email,display_name\n"),
        lambda: person_access_set(actor=world.bob, person=world.alice, is_active=False),
        lambda: institution_settings_update(actor=world.bob, name="Hacked"),
        lambda: people_for_admin(actor=world.bob),
        lambda: access_person(world.bob, world.alice.public_id, for_write=True),
    ]
    with schema_context(world.tenant_a.schema_name):
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()
