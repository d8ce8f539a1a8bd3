"""In a real browser: a person turns on two-factor sign-in (TOTP, the code computed as an
authenticator app would), signs out, and signs in again with a password and a code."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot
from tests.e2e.two_factor import enrol_in_page, totp_code


@pytest.fixture
def forget_devices(world, django_db_blocker):
    yield
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        TOTPDevice.objects.filter(user__username="bob").delete()
        StaticDevice.objects.filter(user__username="bob").delete()


def _password(page, base: str) -> None:
    page.goto(base + "/signin")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_enrolling_totp_and_signing_in_with_it(page, live_server_url, world, forget_devices):
    base = live_server_url.format(host=world.host_a)
    _password(page, base)
    page.wait_for_url(base + "/")
    page.goto(base + "/2fa/")
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    page.wait_for_url(base + "/2fa/enrol**")
    screenshot(page, "two-factor-enrol")
    secret, codes = enrol_in_page(page)
    assert len(codes) == 10
    screenshot(page, "two-factor-recovery-codes")
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(base + "/2fa/")
    assert page.get_by_text("On: you sign in with a code").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(base + "/")

    _password(page, base)
    page.wait_for_url(base + "/2fa/verify**")
    screenshot(page, "two-factor-verify")
    page.get_by_label("Code").fill(totp_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(base + "/")
    assert page.get_by_text("Welcome, Bob Baker").is_visible()
