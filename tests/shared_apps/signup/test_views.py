"""Self-service sign-up, as an institution's IT lead goes through it: the form on the platform
host, the e-mailed link, the confirmation, and the welcome on the institution's own host."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from shared_apps.audit.models import AuditEntry
from shared_apps.signup import services
from shared_apps.signup.models import SignupApplication
from shared_apps.signup.services import SIGNUP_LIMIT, signup_request
from tenants.models import Tenant
from tenants.provisioning import TemplateStale
from tenants.services import tenant_create
from tests.conftest import PASSWORD
from tests.shared_apps.signup.conftest import unique_ip

pytestmark = pytest.mark.django_db

GAMMA = {
    "name": "Gamma Institute",
    "slug": "gamma",
    "admin_name": "Grace Hopper",
    "admin_email": "grace.hopper@gamma.example",
}


def platform_link(path: str) -> str:
    return (
        f"{settings.PLATFORM_URL_SCHEME}://{settings.PLATFORM_DOMAIN}"
        f"{settings.PLATFORM_URL_PORT}{path}"
    )


def confirm_path_from(mail_body: str) -> str:
    match = re.search(re.escape(platform_link("/signup/confirm/")) + r"[A-Za-z0-9_-]+", mail_body)
    assert match, mail_body
    return urlsplit(match.group(0)).path


def apply(**overrides) -> tuple[SignupApplication, str]:
    """A sign-up recorded through the service (the form's own path), and its link's path."""
    fields = {"ip": unique_ip(), **GAMMA, **overrides}
    application, token = signup_request(**fields)
    return application, f"/signup/confirm/{token}"


def page(response) -> str:
    return response.content.decode()


# --- the journey ---------------------------------------------------------------------------
def test_an_institution_signs_up_and_lands_signed_in_as_its_admin(
    platform, smtp_server, django_capture_on_commit_callbacks, client_ip
):
    form = platform.get("/signup/")
    assert form.status_code == 200
    for label in ("Institution name", "Subdomain", "Your name", "Your e-mail address"):
        assert label in page(form)

    with django_capture_on_commit_callbacks(execute=True):
        sent = platform.post("/signup/", GAMMA)
    assert sent.status_code == 200
    assert "Check your e-mail" in page(sent)
    assert "grace.hopper@gamma.example" in page(sent)

    # The mail went over SMTP, as plain text, to the admin only.
    assert smtp_server.recipients == [["grace.hopper@gamma.example"]]
    mail = smtp_server.messages[0]
    assert mail["To"] == "grace.hopper@gamma.example"
    assert mail["From"] == settings.DEFAULT_FROM_EMAIL
    assert mail.get_content_type() == "text/plain"
    body = mail.get_payload(decode=True).decode()
    assert "Gamma Institute" in body and f"gamma.{settings.PLATFORM_DOMAIN}" in body
    confirm_path = confirm_path_from(body)

    # Following the link shows what will be made; only the button provisions.
    confirm = platform.get(confirm_path)
    assert confirm.status_code == 200
    assert "Create my institution" in page(confirm)
    assert f"gamma.{settings.PLATFORM_DOMAIN}" in page(confirm)
    assert not Tenant.objects.filter(slug="gamma").exists()

    created = platform.post(confirm_path)
    assert created.status_code == 302
    welcome = urlsplit(created["Location"])
    assert welcome.scheme == settings.PLATFORM_URL_SCHEME
    assert welcome.netloc == f"gamma.{settings.PLATFORM_DOMAIN}{settings.PLATFORM_URL_PORT}"
    assert welcome.path.startswith("/welcome/")
    tenant = Tenant.objects.get(slug="gamma")
    assert tenant.name == "Gamma Institute" and schema_exists(tenant.schema_name)

    # On the institution's own host: choose a password, and be signed in.
    institution = Client(HTTP_HOST=welcome.netloc)
    assert institution.get("/api/v1/me").status_code in (401, 403)
    form = institution.get(welcome.path, follow=True)
    assert form.status_code == 200
    assert "Welcome to Gamma Institute" in page(form)
    assert "New password" in page(form) and "New password confirmation" in page(form)
    set_password_path = form.redirect_chain[-1][0]
    assert welcome.path.split("/")[3] not in set_password_path  # the token left the URL

    done = institution.post(
        set_password_path, {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == "/"
    assert institution.get("/").status_code == 200

    me = institution.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["is_admin"] is True
    assert me.json()["email"] == "grace.hopper@gamma.example"
    assert me.json()["display_name"] == "Grace Hopper"
    assert me.json()["username"] == "grace.hopper"
    assert me.json()["id"].startswith("u_")
    assert institution.get("/api/v1/institution").json()["name"] == "Gamma Institute"
    with schema_context(tenant.schema_name):
        assert authenticate(username="grace.hopper", password=PASSWORD) is not None

    # On record: the application and the platform's audit log.
    application = SignupApplication.objects.get(slug="gamma")
    assert application.confirmed_at is not None and application.tenant == tenant
    assert application.requester_ip == client_ip
    created_entry = AuditEntry.objects.get(verb="tenant.created", target="gamma")
    assert (created_entry.actor_kind, created_entry.actor) == ("system", "signup")
    confirmed = AuditEntry.objects.get(verb="signup.confirmed", target="gamma")
    assert confirmed.details["application"] == application.public_id
    assert confirmed.details["admin"] == me.json()["id"]
    assert confirmed.ip == client_ip


def test_the_institution_is_ready_on_its_subdomain_after_confirming(platform, settings):
    _application, confirm_path = apply()
    platform.post(confirm_path)
    response = Client(HTTP_HOST=f"gamma.{settings.PLATFORM_DOMAIN}").get("/api/v1/institution")
    assert response.status_code == 200
    assert response.json()["slug"] == "gamma"


def test_it_accepts_a_subdomain_typed_in_capitals(platform, mailoutbox):
    response = platform.post("/signup/", {**GAMMA, "slug": "  Gamma "})
    assert response.status_code == 200
    assert SignupApplication.objects.get().slug == "gamma"


# --- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slug", "not valid!", "lower-case letters, digits and hyphens"),
        ("slug", "-gamma", "lower-case letters, digits and hyphens"),
        ("slug", "gamma_2", "lower-case letters, digits and hyphens"),
        ("slug", "g" * 41, "lower-case letters, digits and hyphens"),
        ("slug", "www", "&#x27;www&#x27; is reserved; choose another name."),
        ("slug", "signup", "is reserved"),
        ("slug", "alpha", "&#x27;alpha&#x27; is already taken."),
        ("slug", "", "Choose a subdomain."),
        ("name", "", "The institution needs a name."),
        ("name", "   ", "The institution needs a name."),
        ("name", "x" * 201, "at most 200 characters"),
        ("admin_name", " ", "Tell us your name."),
        ("admin_email", "", "We need your e-mail address"),
        ("admin_email", "grace", "Enter an e-mail address like name@university.edu."),
        ("admin_email", "grace@", "Enter an e-mail address like name@university.edu."),
        ("admin_email", "grace@gamma.example\nBcc: x@y.z", "Enter an e-mail address like"),
    ],
)
def test_it_shows_each_bad_field_on_the_form_and_records_nothing(
    platform, world, mailoutbox, field, value, message
):
    response = platform.post("/signup/", {**GAMMA, field: value})
    assert response.status_code == 400
    body = page(response)
    assert message in body
    assert "Please correct the problem below." in body
    assert 'aria-invalid="true"' in body
    assert "Traceback" not in body
    # What they typed in the other fields is kept.
    assert "Grace Hopper" in body or field == "admin_name"
    assert not SignupApplication.objects.exists()
    assert mailoutbox == []


def test_it_lists_every_missing_field_at_once(platform, mailoutbox):
    response = platform.post("/signup/", {})
    assert response.status_code == 400
    body = page(response)
    for message in (
        "The institution needs a name.",
        "Choose a subdomain.",
        "Tell us your name.",
        "We need your e-mail address",
    ):
        assert message in body
    assert "Please correct the problems below." in body


# --- the confirmation link ------------------------------------------------------------------
def test_following_the_link_twice_creates_nothing_more(platform):
    _application, confirm_path = apply()
    assert platform.get(confirm_path).status_code == 200
    assert platform.get(confirm_path).status_code == 200  # a mail scanner's prefetch, say
    assert platform.head(confirm_path).status_code == 200
    assert not Tenant.objects.filter(slug="gamma").exists()


def test_an_expired_link_says_so_and_creates_nothing(platform):
    _application, confirm_path = apply(now=timezone.now() - timedelta(hours=49))
    for response in (platform.get(confirm_path), platform.post(confirm_path)):
        assert response.status_code == 410
        assert "This link has expired" in page(response)
        assert 'href="' + platform_link("/signup/") + '"' in page(response)
    assert not Tenant.objects.filter(slug="gamma").exists()
    assert not schema_exists("t_gamma")


def test_a_link_just_inside_its_48_hours_still_works(platform):
    _application, confirm_path = apply(now=timezone.now() - timedelta(hours=47))
    assert platform.post(confirm_path).status_code == 302


def test_a_used_link_says_so_and_leads_to_the_institution(platform):
    _application, confirm_path = apply()
    assert platform.post(confirm_path).status_code == 302
    for response in (platform.get(confirm_path), platform.post(confirm_path)):
        assert response.status_code == 410
        body = page(response)
        assert "This link was already used" in body
        assert f'href="{settings.PLATFORM_URL_SCHEME}://gamma.{settings.PLATFORM_DOMAIN}' in body
        assert "grace.hopper@gamma.example" not in body
        assert "/welcome/" not in body
    assert Tenant.objects.filter(slug="gamma").count() == 1


def test_a_made_up_link_gets_a_friendly_404(platform):
    apply()
    for path in ("/signup/confirm/not-a-real-token", "/signup/confirm/" + "x" * 500):
        for response in (platform.get(path), platform.post(path)):
            assert response.status_code == 404
            body = page(response)
            assert "This link is not valid" in body
            assert "Gamma Institute" not in body and "grace.hopper" not in body
    assert not Tenant.objects.filter(slug="gamma").exists()


def test_a_subdomain_taken_between_request_and_confirmation_is_explained(platform):
    _first, first_path = apply(admin_email="first@gamma.example")
    second, second_path = apply(name="Gamma College", admin_email="second@gamma.example")
    assert platform.post(first_path).status_code == 302

    for response in (platform.get(second_path), platform.post(second_path)):
        assert response.status_code == 409
        body = page(response)
        assert "This subdomain is no longer available" in body
        assert "&#x27;gamma&#x27; is already taken." in body
        assert "Sign up again" in body
        assert "first@gamma.example" not in body
    second.refresh_from_db()
    assert second.confirmed_at is None and second.tenant is None
    assert Tenant.objects.get(slug="gamma").name == "Gamma Institute"


def test_a_subdomain_provisioned_by_the_console_meanwhile_is_explained(platform):
    _application, confirm_path = apply()
    tenant_create(slug="gamma", name="Gamma by the console")
    response = platform.post(confirm_path)
    assert response.status_code == 409
    assert "already taken" in page(response)
    assert Tenant.objects.get(slug="gamma").name == "Gamma by the console"


def test_when_provisioning_is_impossible_the_link_stays_valid(platform, monkeypatch):
    _application, confirm_path = apply()

    def stale():
        raise TemplateStale("behind the code")

    monkeypatch.setattr(services, "template_current", stale)
    response = platform.post(confirm_path)
    assert response.status_code == 503
    assert "your link still works" in page(response)
    monkeypatch.undo()
    assert platform.post(confirm_path).status_code == 302


# --- throttling -----------------------------------------------------------------------------
def test_it_throttles_sign_ups_per_address(platform, mailoutbox, world):
    for n in range(SIGNUP_LIMIT):
        response = platform.post("/signup/", {**GAMMA, "slug": f"gamma-{n}"})
        assert response.status_code == 200, n
    refused = platform.post("/signup/", {**GAMMA, "slug": "gamma-extra"})
    assert refused.status_code == 429
    assert "Too many sign-ups from your network" in page(refused)
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert 'value="gamma-extra"' in page(refused)  # what they typed is kept
    # Invalid input is refused the same way once the limit is reached.
    assert platform.post("/signup/", {**GAMMA, "slug": "alpha"}).status_code == 429
    assert SignupApplication.objects.count() == SIGNUP_LIMIT
    # Someone else is not affected.
    other = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, REMOTE_ADDR=unique_ip())
    assert other.post("/signup/", {**GAMMA, "slug": "gamma-other"}).status_code == 200


def test_mistakes_do_not_count_against_the_limit(platform, mailoutbox, world):
    for _ in range(SIGNUP_LIMIT + 2):
        assert platform.post("/signup/", {**GAMMA, "slug": "alpha"}).status_code == 400
    assert platform.post("/signup/", GAMMA).status_code == 200


# --- mail -----------------------------------------------------------------------------------
def test_a_mail_server_that_is_down_does_not_break_the_page(
    platform, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard: nothing listens
    settings.EMAIL_TIMEOUT = 2
    with django_capture_on_commit_callbacks(execute=True):
        response = platform.post("/signup/", GAMMA)
    assert response.status_code == 200
    assert "sign up again" in page(response)
    assert SignupApplication.objects.filter(slug="gamma").exists()


def test_no_mail_is_sent_unless_the_application_is_committed(
    smtp_server, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        signup_request(**GAMMA, ip=unique_ip())
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert smtp_server.messages == []
    assert not SignupApplication.objects.exists()


# --- the welcome page -----------------------------------------------------------------------
def _welcome_path(platform) -> tuple[str, str]:
    _application, confirm_path = apply()
    location = urlsplit(platform.post(confirm_path)["Location"])
    return location.netloc, location.path


def test_the_welcome_page_explains_weak_and_mismatched_passwords(platform):
    host, path = _welcome_path(platform)
    institution = Client(HTTP_HOST=host)
    form = institution.get(path, follow=True)
    set_password = form.redirect_chain[-1][0]
    for first, second, message in (
        ("short", "short", "This password is too short."),
        ("password123", "password123", "This password is too common."),
        ("83921749302847", "83921749302847", "This password is entirely numeric."),
        (PASSWORD, PASSWORD + "!", "The two password fields didn"),
    ):
        response = institution.post(set_password, {"new_password1": first, "new_password2": second})
        assert response.status_code == 400, message
        assert message in page(response)
    assert institution.get("/api/v1/me").status_code in (401, 403)


def test_the_welcome_link_works_once(platform):
    host, path = _welcome_path(platform)
    institution = Client(HTTP_HOST=host)
    set_password = institution.get(path, follow=True).redirect_chain[-1][0]
    institution.post(set_password, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    again = Client(HTTP_HOST=host).get(path, follow=True)
    assert again.status_code == 400
    assert "This link no longer works" in page(again)
    assert "New password" not in page(again)


@pytest.mark.parametrize(
    "path",
    ["/welcome/bm9ib2R5/abc-123/", "/welcome/!!!/x/", "/welcome/dV9ub3RoZXJl/set-password/"],
)
def test_a_made_up_welcome_link_gets_a_friendly_page(client_a, path):
    response = client_a.get(path)
    assert response.status_code == 400
    assert "This link no longer works" in page(response)
    assert "Alpha University" in page(response)


def test_a_welcome_link_is_worthless_on_another_institution(platform, client_b):
    _host, path = _welcome_path(platform)
    response = client_b.get(path)
    assert response.status_code == 400
    assert "New password" not in page(response)


# --- what the platform host shows -----------------------------------------------------------
def test_the_check_your_email_page_does_not_reveal_the_link(
    platform, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = platform.post("/signup/", GAMMA)
    body = page(response)
    token_path = confirm_path_from(mailoutbox[0].body)
    assert token_path not in body and "/signup/confirm/" not in body
    assert SignupApplication.objects.get().token_hash not in body
    assert "sessionid" not in response.cookies


def test_nothing_about_other_sign_ups_shows_on_the_platform_host(platform, mailoutbox):
    apply()  # someone else's pending application
    stranger = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, REMOTE_ADDR=unique_ip())
    pages = [
        stranger.get("/signup/"),
        stranger.post("/signup/", {**GAMMA, "admin_email": "stranger@example.org"}),
        stranger.get("/signup/confirm/guess"),
        stranger.get("/"),
    ]
    for response in pages:
        body = page(response)
        assert "grace.hopper@gamma.example" not in body
        assert "Traceback" not in body
    # A pending sign-up does not hold the subdomain (the first to confirm gets it).
    assert pages[1].status_code == 200


def test_institution_pages_do_not_exist_on_the_platform_host(platform):
    host, path = _welcome_path(platform)
    assert platform.get(path).status_code == 404
    assert platform.get("/api/v1/me").status_code == 404
    assert Client(HTTP_HOST=host).get("/signup/").status_code == 404


def test_the_form_is_not_cached(platform):
    response = platform.get("/signup/")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
