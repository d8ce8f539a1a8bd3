"""OpenID Connect sign-in end to end against a real provider (tests/oidc_provider) on loopback."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.directory.models import ExternalIdentity, OidcSettings
from tenant_apps.directory.services import oidc_settings_set
from tenant_apps.people.models import User
from tenants.models import TenantStatus

pytestmark = pytest.mark.django_db


def configure(world, provider, schema=None, **overrides) -> None:
    with schema_context(schema or world.tenant_a.schema_name):
        oidc_settings_set(actor=None, **provider.settings(**overrides))


def start(client: Client, host: str, next_path: str = "/") -> str:
    answer = client.get("/oidc/start", {"next": next_path}, HTTP_HOST=host)
    assert answer.status_code == 302
    return answer["Location"]


def finish(client: Client, host: str, callback_url: str):
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}", HTTP_HOST=host)


def sign_in_sso(world, provider, username: str, *, host=None, next_path="/"):
    host = host or world.host_a
    client = Client()
    authorize = start(client, host, next_path)
    callback = provider.approve(authorize, username)
    return client, finish(client, host, callback)


def me(client: Client, host: str):
    return client.get("/api/v1/me", HTTP_HOST=host)


def test_start_sends_the_browser_to_the_provider_with_pkce_and_nonce(world, oidc_provider):
    configure(world, oidc_provider)
    location = start(Client(), world.host_a)
    parts = urlsplit(location)
    query = parse_qs(parts.query)
    assert location.startswith(f"{oidc_provider.base}/o/authorize/")
    assert query["client_id"] == ["oae-test-client"]
    assert query["redirect_uri"] == [f"http://{world.host_a}/oidc/callback"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"] and query["state"]
    assert "openid" in query["scope"][0].split()


def test_a_new_person_signs_in_and_gets_an_account(world, oidc_provider):
    configure(world, oidc_provider)
    client, answer = sign_in_sso(world, oidc_provider, "dana", next_path="/people/")
    assert answer.status_code == 302
    assert answer["Location"] == "/people/"
    profile = me(client, world.host_a).json()
    assert profile["display_name"] == "Dana Dale"
    with schema_context(world.tenant_a.schema_name):
        dana = User.objects.get(public_id=profile["id"])
        assert dana.username == "dana"
        assert dana.email == "dana@example.edu"  # the provider verified it
        assert not dana.has_usable_password()
        identity = ExternalIdentity.objects.get(user=dana)
        assert identity.issuer == oidc_provider.issuer
    # The second time, the same account (matched by issuer and subject).
    client2, answer = sign_in_sso(world, oidc_provider, "dana")
    assert me(client2, world.host_a).json()["id"] == profile["id"]
    with schema_context(world.tenant_a.schema_name):
        assert User.objects.filter(username__startswith="dana").count() == 1


def test_an_email_address_alone_never_claims_an_existing_account(world, oidc_provider):
    """The provider's alice.sso has Alice's address; without linking she gets her own account."""
    configure(world, oidc_provider)
    client, _ = sign_in_sso(world, oidc_provider, "alice.sso")
    assert me(client, world.host_a).json()["id"] != world.alice.public_id


def test_linking_by_verified_email_when_the_admins_allow_it(world, oidc_provider):
    configure(world, oidc_provider, link_verified_email=True)
    client, _ = sign_in_sso(world, oidc_provider, "alice.sso")
    assert me(client, world.host_a).json()["id"] == world.alice.public_id
    # An unverified address with the same value links nothing and claims nothing.
    client, _ = sign_in_sso(world, oidc_provider, "mallory")
    mallory = me(client, world.host_a).json()
    assert mallory["id"] != world.alice.public_id
    with schema_context(world.tenant_a.schema_name):
        assert User.objects.get(public_id=mallory["id"]).email == ""


def test_without_account_creation_an_unknown_person_is_refused(world, oidc_provider):
    configure(world, oidc_provider, create_people=False)
    client, answer = sign_in_sso(world, oidc_provider, "dana")
    assert answer["Location"] == "/signin?sso=failed"
    assert me(client, world.host_a).status_code in (401, 403)
    page = client.get("/signin?sso=failed", HTTP_HOST=world.host_a)
    assert b"Single sign-on did not complete" in page.content


def test_a_deactivated_person_cannot_sign_in_through_the_provider(world, oidc_provider):
    configure(world, oidc_provider)
    client, _ = sign_in_sso(world, oidc_provider, "dana")
    dana_id = me(client, world.host_a).json()["id"]
    with schema_context(world.tenant_a.schema_name):
        User.objects.filter(public_id=dana_id).update(is_active=False)
    client, answer = sign_in_sso(world, oidc_provider, "dana")
    assert answer["Location"] == "/signin?sso=failed"
    assert me(client, world.host_a).status_code in (401, 403)


def test_a_token_from_another_issuer_is_refused(world, oidc_provider):
    configure(world, oidc_provider, issuer="https://someone-else.example/o")
    _client, answer = sign_in_sso(world, oidc_provider, "dana")
    assert answer["Location"] == "/signin?sso=failed"
    with schema_context(world.tenant_a.schema_name):
        assert not User.objects.filter(username="dana").exists()


def test_a_provider_that_is_down_gives_a_friendly_failure(world, oidc_provider):
    configure(world, oidc_provider, token_endpoint="http://127.0.0.1:9/o/token/")
    _client, answer = sign_in_sso(world, oidc_provider, "dana")
    assert answer.status_code == 302
    assert answer["Location"] == "/signin?sso=failed"


def test_forged_or_replayed_callbacks_fail_cleanly(world, oidc_provider):
    configure(world, oidc_provider)
    client = Client()
    authorize = start(client, world.host_a)
    callback = oidc_provider.approve(authorize, "dana")
    forged = callback.replace("state=", "state=forged")
    assert finish(client, world.host_a, forged)["Location"] == "/signin?sso=failed"
    assert finish(client, world.host_a, callback)["Location"] == "/"  # the real one works
    # Replaying it: the state was used up.
    replay = Client()
    assert finish(replay, world.host_a, callback)["Location"] == "/signin?sso=failed"
    assert finish(client, world.host_a, "/oidc/callback?error=access_denied").status_code == 302


def test_a_flow_begun_on_one_institution_cannot_finish_on_another(world, oidc_provider):
    configure(world, oidc_provider)
    configure(world, oidc_provider, schema=world.tenant_b.schema_name)
    client = Client()
    authorize = start(client, world.host_a)
    callback = oidc_provider.approve(authorize, "dana")
    answer = finish(client, world.host_b, callback.replace(world.host_a, world.host_b))
    assert answer["Location"] == "/signin?sso=failed"
    assert me(client, world.host_b).status_code in (401, 403)
    with schema_context(world.tenant_b.schema_name):
        assert not User.objects.filter(username="dana").exists()


def test_a_session_from_single_sign_on_is_worthless_on_another_institution(world, oidc_provider):
    configure(world, oidc_provider)
    client, _ = sign_in_sso(world, oidc_provider, "dana")
    assert me(client, world.host_a).status_code == 200
    assert me(client, world.host_b).status_code in (401, 403)


def test_nobody_new_while_the_institution_is_read_only(world, oidc_provider):
    configure(world, oidc_provider)
    tenant = world.tenant_a
    previous = connection.tenant if hasattr(connection, "tenant") else None
    from tenants.selectors import tenant_cache_clear

    tenant.__class__.objects.filter(pk=tenant.pk).update(status=TenantStatus.READ_ONLY)
    tenant_cache_clear()
    try:
        _, answer = sign_in_sso(world, oidc_provider, "dana")
        assert answer["Location"] == "/signin?sso=failed"
    finally:
        tenant.__class__.objects.filter(pk=tenant.pk).update(status=TenantStatus.ACTIVE)
        tenant_cache_clear()
        if previous is not None:
            connection.set_tenant(previous)


def test_start_is_404_without_single_sign_on(world):
    assert Client().get("/oidc/start", HTTP_HOST=world.host_a).status_code == 404


def test_the_sign_in_page_offers_the_provider(world, oidc_provider):
    page = Client().get("/signin", HTTP_HOST=world.host_a)
    assert b"/oidc/start" not in page.content
    configure(world, oidc_provider)
    page = Client().get("/signin?next=/people/", HTTP_HOST=world.host_a)
    assert b"Sign in with Test Provider" in page.content
    assert b"/oidc/start?next=/people/" in page.content


def test_the_client_secret_is_stored_encrypted(world, oidc_provider):
    configure(world, oidc_provider)
    with schema_context(world.tenant_a.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM directory_oidcsettings")
        (stored,) = cursor.fetchone()
        assert stored.startswith("fernet:")
        assert "oae-test-client-secret" not in stored
        assert OidcSettings.objects.get().client_secret == "oae-test-client-secret-0123456789"
