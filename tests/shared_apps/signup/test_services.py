"""The sign-up services: what is stored, what is checked, and that confirming is all or nothing."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.http import urlsafe_base64_decode
from django_tenants.utils import schema_context, schema_exists

from shared_apps.audit.models import AuditEntry
from shared_apps.signup import services
from shared_apps.signup.models import SignupApplication
from shared_apps.signup.services import (
    SIGNUP_LIMIT,
    SignupLinkExpired,
    SignupLinkInvalid,
    SignupLinkUsed,
    SignupSlugTaken,
    SignupThrottled,
    signup_admin_username,
    signup_confirm,
    signup_request,
    signup_throttle_check,
    signup_welcome_url,
)
from tenant_apps.people.models import User
from tenants.models import Tenant, TenantUsage
from tests.shared_apps.signup.conftest import unique_ip

pytestmark = pytest.mark.django_db

GAMMA = {
    "name": "Gamma Institute",
    "slug": "gamma",
    "admin_name": "Grace Hopper",
    "admin_email": "grace.hopper@gamma.example",
}


def request(**overrides):
    return signup_request(**{"ip": unique_ip(), **GAMMA, **overrides})


def test_it_stores_only_a_hash_of_the_links_secret():
    application, token = request()
    assert application.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = SignupApplication.objects.filter(pk=application.pk).values().get()
    assert token not in {str(value) for value in stored.values()}
    assert len(token) >= 43  # 256 random bits


def test_a_link_works_for_48_hours_and_provisions_nothing_yet():
    application, _token = request()
    assert application.expires - application.created == timedelta(hours=48)
    assert application.confirmed_at is None and application.tenant is None
    assert not Tenant.objects.filter(slug="gamma").exists()


def test_it_normalises_what_was_typed():
    application, _token = request(
        name="  Gamma   Institute ",
        slug=" GAMMA ",
        admin_name=" Grace  Hopper ",
        admin_email=" grace@gamma.example ",
    )
    assert (application.name, application.slug) == ("Gamma Institute", "gamma")
    assert (application.admin_name, application.admin_email) == (
        "Grace Hopper",
        "grace@gamma.example",
    )


def test_it_refuses_bad_input_field_by_field(world):
    with pytest.raises(ValidationError) as refused:
        request(name=" ", slug="alpha", admin_name="", admin_email="grace")
    errors = refused.value.message_dict
    assert errors["name"] == ["The institution needs a name."]
    assert errors["slug"] == ["'alpha' is already taken."]
    assert errors["admin_name"] == ["Tell us your name."]
    assert errors["admin_email"] == ["Enter a valid email address."]
    assert not SignupApplication.objects.exists()


def test_it_records_the_requesters_address_when_it_is_one():
    assert request(ip="2001:db8::1")[0].requester_ip == "2001:db8::1"
    assert request(ip="not an address")[0].requester_ip is None


def test_it_allows_a_few_sign_ups_per_address_and_hour():
    ip = unique_ip()
    for n in range(SIGNUP_LIMIT):
        request(ip=ip, slug=f"gamma-{n}")
    with pytest.raises(SignupThrottled) as refused:
        request(ip=ip, slug="gamma-extra")
    assert 0 < refused.value.retry_after <= 3600
    with pytest.raises(SignupThrottled):
        signup_throttle_check(ip=ip)
    signup_throttle_check(ip=unique_ip())  # another address is not affected
    assert SignupApplication.objects.count() == SIGNUP_LIMIT


@pytest.mark.parametrize(
    ("email", "username"),
    [
        ("grace.hopper@gamma.example", "grace.hopper"),
        ("o'brien+oae@gamma.example", "obrien+oae"),
        ("Zoë_Ng@gamma.example", "Zoë_Ng"),
        ('"!#$%"@gamma.example', "admin"),
        ("x" * 200 + "@gamma.example", "x" * 150),
    ],
)
def test_the_admins_username_is_the_local_part_of_their_email(email, username):
    assert signup_admin_username(email) == username


def test_confirming_creates_the_institution_and_its_admin():
    application, token = request(admin_email="o'brien@gamma.example")
    confirmed, admin = signup_confirm(token=token, ip="192.0.2.1")
    tenant = Tenant.objects.get(slug="gamma")
    assert confirmed.pk == application.pk and confirmed.tenant == tenant
    with schema_context(tenant.schema_name):
        stored = User.objects.get()
    assert stored.public_id == admin.public_id
    assert (stored.username, stored.email) == ("obrien", "o'brien@gamma.example")
    assert stored.is_staff and stored.is_superuser and not stored.has_usable_password()
    assert TenantUsage.objects.get(tenant=tenant).people == 1
    assert not User.objects.filter(public_id=admin.public_id).exists()  # not in public
    audit = AuditEntry.objects.get(verb="signup.confirmed")
    assert (audit.actor_kind, audit.actor, audit.ip) == ("system", "signup", "192.0.2.1")


def test_confirming_is_all_or_nothing(monkeypatch):
    application, token = request()

    def failing_user_create(**kwargs):
        raise ValidationError("no admin for you")

    monkeypatch.setattr(services, "user_create", failing_user_create)
    with pytest.raises(ValidationError):
        signup_confirm(token=token)
    assert not Tenant.objects.filter(slug="gamma").exists()
    assert not schema_exists("t_gamma")
    assert not AuditEntry.objects.filter(target="gamma").exists()
    application.refresh_from_db()
    assert application.confirmed_at is None


def test_a_link_confirms_once():
    _application, token = request()
    signup_confirm(token=token)
    with pytest.raises(SignupLinkUsed) as used:
        signup_confirm(token=token)
    assert used.value.application.tenant.slug == "gamma"
    assert Tenant.objects.filter(slug="gamma").count() == 1


def test_expired_unknown_and_taken_links_are_refused(world):
    _expired, expired_token = request(now=timezone.now() - timedelta(hours=48, seconds=1))
    with pytest.raises(SignupLinkExpired):
        signup_confirm(token=expired_token)
    with pytest.raises(SignupLinkInvalid):
        signup_confirm(token="made-up")
    with pytest.raises(SignupLinkInvalid):
        signup_confirm(token="")
    _first, first = request()
    _second, second = request()
    signup_confirm(token=first)
    with pytest.raises(SignupSlugTaken, match="already taken"):
        signup_confirm(token=second)


def test_the_welcome_link_names_the_admin_by_public_id_on_the_institutions_host():
    _application, token = request()
    confirmed, admin = signup_confirm(token=token)
    url = urlsplit(signup_welcome_url(tenant=confirmed.tenant, admin=admin))
    assert url.scheme == settings.PLATFORM_URL_SCHEME
    assert url.netloc == f"gamma.{settings.PLATFORM_DOMAIN}{settings.PLATFORM_URL_PORT}"
    _empty, welcome, uidb64, token_part, _end = url.path.split("/")
    assert welcome == "welcome"
    assert urlsafe_base64_decode(uidb64).decode() == admin.public_id
    assert token_part
