"""End to end in a real browser: an admin switches on OpenID Connect on the sign-in methods page,
then a newcomer signs in through the (real, loopback) provider and lands signed in."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenant_apps.directory.models import ExternalIdentity, OidcSettings
from tenant_apps.institution.models import AdminAction
from tenant_apps.people.models import User
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot
from tests.oidc_provider.runner import oidc_provider_running


@pytest.fixture
def provider(tmp_path, live_server_url, world, django_db_blocker):
    base = live_server_url.format(host=world.host_a)
    with oidc_provider_running(
        tmp_path,
        redirect_uris=[f"{base}/oidc/callback"],
        people=[{"username": "erin", "email": "erin@example.edu", "name": "Erin Evans"}],
        password=PASSWORD,
    ) as running:
        yield running
    # What the test committed in alpha's schema goes again.
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        ExternalIdentity.objects.all().delete()
        User.objects.filter(username="erin").delete()
        OidcSettings.objects.all().delete()
        AdminAction.objects.all().delete()


def _sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def test_an_admin_switches_on_single_sign_on_and_a_newcomer_uses_it(
    page, live_server_url, world, provider
):
    base = live_server_url.format(host=world.host_a)
    _sign_in(page, base, "alpha-admin")
    page.goto(base + "/manage/signin")
    oidc = page.get_by_role("region", name="OpenID Connect")
    oidc.get_by_label("Sign in with an OpenID Connect provider").check()
    oidc.get_by_label("Button text").fill("Alpha Login")
    for label, key in (
        ("Issuer", "issuer"),
        ("Authorization endpoint", "authorization_endpoint"),
        ("Token endpoint", "token_endpoint"),
        ("User-info endpoint", "userinfo_endpoint"),
        ("Keys (JWKS) address", "jwks_uri"),
        ("Client id", "client_id"),
        ("Client secret", "client_secret"),
    ):
        oidc.get_by_label(label).fill(provider.settings()[key])
    oidc.get_by_label("Create an account for someone the provider vouches for").check()
    screenshot(page, "manage-signin-methods")
    oidc.get_by_role("button", name="Save OpenID Connect").click()
    page.wait_for_url(base + "/manage/signin")
    assert page.get_by_text("The sign-in settings are saved.").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(base + "/")

    page.goto(base + "/signin")
    screenshot(page, "signin-with-single-sign-on")
    page.get_by_role("link", name="Sign in with Alpha Login").click()
    page.wait_for_url(provider.base + "/login/**")
    page.get_by_label("Username").fill("erin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")
    assert page.get_by_text("Welcome, Erin Evans").is_visible()
    screenshot(page, "signed-in-through-single-sign-on")
    assert "erin@example.edu" not in page.content()
