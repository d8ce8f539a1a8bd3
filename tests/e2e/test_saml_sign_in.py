"""End to end in a real browser: an admin switches on SAML 2.0 on the sign-in methods page
(giving the identity provider's metadata address), then a newcomer signs in through the
(real, loopback, pysaml2) identity provider's page and lands signed in."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from django_tenants.utils import schema_context

from tenant_apps.directory.models import ExternalIdentity, SamlAssertionSeen, SamlSettings
from tenant_apps.institution.models import AdminAction
from tenant_apps.people.models import User
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot
from tests.saml_idp.runner import saml_idp_running


@pytest.fixture
def idp(tmp_path, live_server_url, world, django_db_blocker):
    person = {
        "username": "sasha",
        "eppn": "sasha@idp.example.edu",
        "persistent": "p-sasha",
        "name": "Sasha Samlson",
        "mail": "sasha@example.edu",
    }
    with saml_idp_running(tmp_path, people=[person], password=PASSWORD) as running:
        yield running
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        ExternalIdentity.objects.all().delete()
        User.objects.filter(username="sasha").delete()
        SamlSettings.objects.all().delete()
        SamlAssertionSeen.objects.all().delete()
        AdminAction.objects.all().delete()


def _sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def test_an_admin_switches_on_saml_and_a_newcomer_signs_in_through_the_idp(
    page, live_server_url, world, idp
):
    base = live_server_url.format(host=world.host_a)
    _sign_in(page, base, "alpha-admin")
    page.goto(base + "/manage/signin")
    saml = page.get_by_role("region", name="SAML 2.0")
    assert saml.get_by_text(f"{base}/saml/metadata").first.is_visible()
    saml.get_by_label("Sign in with a SAML 2.0 identity provider").check()
    saml.get_by_label("SAML button text").fill("Alpha Federation")
    saml.get_by_label("Identity provider metadata address").fill(idp.metadata_url)
    saml.get_by_label("Create an account for someone the identity provider vouches for").check()
    saml.get_by_role("button", name="Save SAML").click()
    page.wait_for_url(base + "/manage/signin")
    assert page.get_by_text("The sign-in settings are saved.").is_visible()
    assert page.get_by_text(idp.entity_id).is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(base + "/")

    # The identity provider learns this institution's service provider from its metadata.
    port = urlsplit(base).port
    metadata = requests.get(
        f"http://127.0.0.1:{port}/saml/metadata",
        headers={"Host": urlsplit(base).netloc},
        timeout=10,
    )
    idp.register(metadata.text)

    page.goto(base + "/signin")
    page.get_by_role("link", name="Sign in with Alpha Federation").click()
    page.wait_for_url(idp.base + "/sso/redirect**")
    page.get_by_label("Username").fill("sasha")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(base + "/")
    assert page.get_by_text("Welcome, Sasha Samlson").is_visible()
    screenshot(page, "signed-in-through-saml")
    assert "sasha@example.edu" not in page.content()
