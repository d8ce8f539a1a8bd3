"""Password reset by e-mail (/password-reset) and self-registration (/register)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.institution.admin_services import institution_settings_update
from tenant_apps.people.account_services import MAX_RESETS_PER_EMAIL
from tenant_apps.people.models import User
from tenants.selectors import tenant_base_url
from tests.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

SENT = "If an account of"
NEW_PASSWORD = "a brand new long passphrase"


@pytest.fixture(autouse=True)
def _clear_counters():
    cache.clear()
    yield
    cache.clear()


def _link(mail) -> str:
    return re.search(r"https?://\S+?(/welcome/\S+/)", mail.body).group(1)


def _set_password(host: str, path: str, password: str = NEW_PASSWORD):
    visitor = Client(HTTP_HOST=host)
    landing = visitor.get(path, follow=True)
    if landing.status_code != 200:
        return landing
    form_url = landing.redirect_chain[-1][0]
    return visitor.post(form_url, {"new_password1": password, "new_password2": password})


def _reset(client, email, callbacks):
    with callbacks(execute=True):
        return client.post("/password-reset", {"email": email})


def _settings(world, **changes):
    with schema_context(world.tenant_a.schema_name):
        institution_settings_update(actor=world.admin_a, **changes)


# --- password reset --------------------------------------------------------------------
def test_reset_links_come_from_the_primary_domain_not_the_host_header(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    other_port = Client(HTTP_HOST=f"{world.host_a}:6666")
    with django_capture_on_commit_callbacks(execute=True):
        response = other_port.post("/password-reset", {"email": "alice@example.edu"})
    assert response.status_code == 200
    assert ":6666" not in mailoutbox[0].body
    expected = f"{settings.PLATFORM_URL_SCHEME}://{world.host_a}{settings.PLATFORM_URL_PORT}"
    assert f"{expected}/welcome/" in mailoutbox[0].body


def test_the_sign_in_page_links_to_password_reset(client_a):
    html = client_a.get("/signin").content.decode()
    assert 'href="/password-reset"' in html
    assert 'href="/register"' not in html  # registration is off by default
    form = client_a.get("/password-reset")
    assert form.status_code == 200 and 'name="email"' in form.content.decode()


def test_a_reset_mails_a_link_that_works_once(
    client_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    response = _reset(client_a, "ALICE@example.edu", django_capture_on_commit_callbacks)
    assert response.status_code == 200 and SENT in response.content.decode()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["alice@example.edu"] and "Alpha University" in mail.subject
    assert f"{tenant_base_url(world.tenant_a)}/welcome/" in mail.body
    path = _link(mail)
    try:
        assert _set_password(world.host_a, path).status_code == 302
        fresh = Client(HTTP_HOST=world.host_a)
        signin = fresh.post("/signin", {"username": "alice", "password": NEW_PASSWORD})
        assert signin.status_code == 302
        again = _set_password(world.host_a, path, "yet another long passphrase")
        assert again.status_code == 400
        assert "no longer works" in again.content.decode()
    finally:
        with schema_context(world.tenant_a.schema_name):
            alice = User.objects.get(pk=world.alice.pk)
            alice.set_password(PASSWORD)
            alice.save()


def test_an_account_of_another_institution_gets_nothing(
    client_a, client_b, world, mailoutbox, django_capture_on_commit_callbacks
):
    on_a = _reset(client_a, "charlie@example.edu", django_capture_on_commit_callbacks)
    unknown = _reset(client_a, "nobody@example.edu", django_capture_on_commit_callbacks)
    known = _reset(client_a, "bob@example.edu", django_capture_on_commit_callbacks)
    # Same answer whether or not an account exists: nothing to probe.
    assert on_a.status_code == unknown.status_code == known.status_code == 200
    assert on_a.content == unknown.content
    assert [mail.to for mail in mailoutbox] == [["bob@example.edu"]]
    # On Beta's own host Charlie is found, with a link on Beta's host.
    _reset(client_b, "charlie@example.edu", django_capture_on_commit_callbacks)
    assert mailoutbox[-1].to == ["charlie@example.edu"]
    assert world.host_b in mailoutbox[-1].body


def test_a_link_from_one_institution_does_not_work_on_another(
    client_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    _reset(client_a, "bob@example.edu", django_capture_on_commit_callbacks)
    assert _set_password(world.host_b, _link(mailoutbox[0])).status_code == 400


def test_deactivated_accounts_get_nothing(
    client_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    with schema_context(world.tenant_a.schema_name):
        User.objects.filter(pk=world.bob.pk).update(is_active=False)
    response = _reset(client_a, "bob@example.edu", django_capture_on_commit_callbacks)
    assert response.status_code == 200 and mailoutbox == []


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b@c", "x" * 300 + "@example.edu"])
def test_bad_input_is_a_form_error(client_a, mailoutbox, email):
    response = client_a.post("/password-reset", {"email": email})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode() or "errorlist" in response.content.decode()
    assert mailoutbox == []


def test_resets_are_rate_limited_per_address_without_telling(
    client_a, mailoutbox, django_capture_on_commit_callbacks
):
    answers = [
        _reset(client_a, "alice@example.edu", django_capture_on_commit_callbacks)
        for _ in range(MAX_RESETS_PER_EMAIL + 2)
    ]
    assert {answer.status_code for answer in answers} == {200}
    assert len(mailoutbox) == MAX_RESETS_PER_EMAIL
    # Another address is not affected.
    _reset(client_a, "bob@example.edu", django_capture_on_commit_callbacks)
    assert mailoutbox[-1].to == ["bob@example.edu"]


def test_signed_in_people_are_sent_home_from_the_reset_page(client_a, world):
    sign_in(client_a, world.bob, world.tenant_a)
    assert client_a.get("/password-reset").status_code == 302  # signed in: nothing to reset


# --- self-registration -----------------------------------------------------------------
def _register(client, callbacks, **data):
    fields = {"display_name": "Erin Evans", "email": "erin@example.edu", "username": "erin"}
    fields.update(data)
    with callbacks(execute=True):
        return client.post("/register", fields)


def test_registration_is_off_by_default(
    client_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    page = client_a.get("/register")
    assert page.status_code == 403
    assert "does not let people register themselves" in page.content.decode()
    response = _register(client_a, django_capture_on_commit_callbacks)
    assert response.status_code == 403 and mailoutbox == []
    with schema_context(world.tenant_a.schema_name):
        assert not User.objects.filter(username="erin").exists()


def test_registration_when_on_creates_an_account_and_mails_the_link(
    client_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    _settings(world, self_registration=True)
    assert 'href="/register"' in client_a.get("/signin").content.decode()
    assert client_a.get("/register").status_code == 200
    response = _register(client_a, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and "Check your e-mail" in response.content.decode()
    with schema_context(world.tenant_a.schema_name):
        erin = User.objects.get(username="erin")
    assert erin.email == "erin@example.edu" and not erin.has_usable_password()
    assert not erin.is_staff
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["erin@example.edu"]
    assert _set_password(world.host_a, _link(mailoutbox[0])).status_code == 302
    fresh = Client(HTTP_HOST=world.host_a)
    assert fresh.post("/signin", {"username": "erin", "password": NEW_PASSWORD}).status_code == 302


def test_registration_only_for_allowed_domains(
    client_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    _settings(world, self_registration=True, registration_domains="alpha.edu\n@Example.EDU")
    refused = _register(client_a, django_capture_on_commit_callbacks, email="erin@elsewhere.org")
    assert refused.status_code == 400
    assert "Only addresses at alpha.edu, example.edu may register" in refused.content.decode()
    sub = _register(client_a, django_capture_on_commit_callbacks, email="erin@students.alpha.edu")
    assert sub.status_code == 200
    assert [mail.to for mail in mailoutbox] == [["erin@students.alpha.edu"]]
    lookalike = _register(
        client_a, django_capture_on_commit_callbacks, email="f@evilalpha.edu", username="f"
    )
    assert lookalike.status_code == 400


def test_a_taken_username_is_not_revealed_but_mailed_to_the_address(
    client_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    _settings(world, self_registration=True)
    before = _count(world)
    taken = _register(
        client_a, django_capture_on_commit_callbacks, username="ALICE", email="zed@example.edu"
    )
    fresh = _register(client_a, django_capture_on_commit_callbacks)
    assert taken.status_code == fresh.status_code == 200
    assert taken.content == fresh.content  # the same answer: nothing to probe
    assert "taken" not in taken.content.decode()
    assert _count(world) == before + 1  # only Erin
    assert [mail.to for mail in mailoutbox] == [["zed@example.edu"], ["erin@example.edu"]]
    assert "choose another username" in mailoutbox[0].body
    assert "alice" not in mailoutbox[0].body.lower()


def test_a_known_email_is_not_revealed(
    client_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    _settings(world, self_registration=True)
    before = _count(world)
    known = _register(client_a, django_capture_on_commit_callbacks, email="Bob@example.edu")
    fresh = _register(client_a, django_capture_on_commit_callbacks)
    assert known.status_code == fresh.status_code == 200
    assert known.content == fresh.content  # the same answer: nothing to probe
    assert _count(world) == before + 1  # only Erin
    assert [mail.to for mail in mailoutbox] == [["bob@example.edu"], ["erin@example.edu"]]
    assert "It already has an account" in mailoutbox[0].body


def test_registration_respects_the_people_quota(
    client_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    from tenants.models import Tenant
    from tenants.selectors import tenant_cache_clear

    _settings(world, self_registration=True)
    Tenant.objects.filter(pk=world.tenant_a.pk).update(quota_people=3)
    tenant_cache_clear()
    before = _count(world)
    response = _register(client_a, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "reached its limit of 3 people" in response.content.decode()
    assert _count(world) == before and mailoutbox == []


@pytest.mark.parametrize(
    "data",
    [
        {"display_name": ""},
        {"email": "nope"},
        {"username": "bad name!"},
        {"username": ""},
    ],
)
def test_bad_registrations_are_form_errors(
    client_a, world, mailoutbox, django_capture_on_commit_callbacks, data
):
    _settings(world, self_registration=True)
    before = _count(world)
    response = _register(client_a, django_capture_on_commit_callbacks, **data)
    assert response.status_code == 400
    assert _count(world) == before and mailoutbox == []


def test_a_suspended_institution_refuses_registration(client_a, world):
    from shared_apps.audit.services import Actor
    from tenants.services import tenant_suspend

    _settings(world, self_registration=True)
    tenant_suspend(tenant=world.tenant_a, actor=Actor.system("test"))
    page = client_a.get("/register")
    assert page.status_code == 403 and "read-only" in page.content.decode()
    assert client_a.post("/register", {"email": "e@example.edu"}).status_code == 423


def test_admins_switch_registration_on_the_settings_page_and_api(client_a, world):
    admin = sign_in(client_a, world.admin_a, world.tenant_a)
    page = admin.get("/manage/institution").content.decode()
    assert 'name="self_registration"' in page and 'name="registration_domains"' in page
    saved = admin.post(
        "/manage/institution",
        {
            "name": "Alpha University",
            "primary_colour": "#1f4e8c",
            "default_visibility": "loggedin",
            "self_registration": "on",
            "registration_domains": "alpha.edu, Example.edu",
        },
    )
    assert saved.status_code == 302
    api = admin.get("/api/v1/admin/institution").json()
    assert api["self_registration"] is True
    assert api["registration_domains"] == ["alpha.edu", "example.edu"]
    bad = admin.post(
        "/manage/institution",
        {
            "name": "Alpha University",
            "primary_colour": "#1f4e8c",
            "default_visibility": "loggedin",
            "registration_domains": "not a domain!",
        },
    )
    assert bad.status_code == 400
    patched = admin.patch(
        "/api/v1/admin/institution",
        {"self_registration": False, "registration_domains": []},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["self_registration"] is False
    assert patched.json()["registration_domains"] == []
    wrong = admin.patch(
        "/api/v1/admin/institution",
        {"registration_domains": ["ok.edu", "bad domain"]},
        content_type="application/json",
    )
    assert wrong.status_code == 400


def test_members_cannot_switch_registration_on(client_a, world):
    sign_in(client_a, world.bob, world.tenant_a)
    response = client_a.patch(
        "/api/v1/admin/institution", {"self_registration": True}, content_type="application/json"
    )
    assert response.status_code == 403


def _count(world) -> int:
    with schema_context(world.tenant_a.schema_name):
        return User.objects.count()
