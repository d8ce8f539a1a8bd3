"""Institutions' admins cannot point LDAP or OpenID Connect inside the platform's network."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from tenant_apps.directory.services import ldap_settings_set
from tenant_apps.people.services import token_create
from tests.platform.config.test_outbound import listener

pytestmark = pytest.mark.django_db
LDAP = {
    "enabled": True,
    "bind_dn": "cn=admin,dc=oae,dc=test",
    "bind_password": "the-bind-password",
    "user_search_base": "ou=people,dc=oae,dc=test",
}
OIDC = {
    "enabled": True,
    "issuer": "https://login.example.edu",
    "authorization_endpoint": "https://login.example.edu/authorize",
    "token_endpoint": "https://login.example.edu/token",
    "userinfo_endpoint": "https://login.example.edu/userinfo",
    "jwks_uri": "https://login.example.edu/jwks",
    "client_id": "oae",
    "client_secret": "very-secret-value",
}


@pytest.fixture
def nothing_allowed(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    return settings


@pytest.mark.parametrize(
    "uri", ["ldap://127.0.0.1:389", "ldaps://169.254.169.254", "ldap://ok.example.edu ldap://[::1]"]
)
def test_an_inward_ldap_server_is_refused_when_saved(world, nothing_allowed, uri):
    with schema_context(world.tenant_a.schema_name), pytest.raises(ValidationError) as refused:
        ldap_settings_set(actor=None, server_uri=uri, **LDAP)
    assert "inside the platform's own network" in str(refused.value.message_dict["server_uri"])


@pytest.mark.parametrize(
    "field", ["issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"]
)
def test_inward_oidc_endpoints_are_field_errors_in_the_api(world, client_a, nothing_allowed, field):
    with schema_context(world.tenant_a.schema_name):
        raw = token_create(user=world.admin_a, name="t")[1]
    answer = client_a.patch(
        "/api/v1/admin/signin/oidc",
        {**OIDC, field: "http://metadata.google.internal./computeMetadata/v1/"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert answer.status_code == 400
    assert "inside the platform's own network" in str(answer.json()["errors"][field])


def test_the_ldap_password_is_not_sent_to_an_address_refused_at_connect_time(
    world, client_a, settings
):
    with listener() as (port, connections):
        settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # allowed when saved...
        with schema_context(world.tenant_a.schema_name):
            ldap_settings_set(actor=None, server_uri=f"ldap://127.0.0.1:{port}", **LDAP)
        settings.OUTBOUND_ALLOWED_NETWORKS = []  # ...but no longer when connecting
        answer = client_a.post(
            "/api/v1/auth/token",
            {"username": "anyone", "password": "x"},
            REMOTE_ADDR="198.51.100.77",
        )
    assert answer.status_code == 401
    assert connections == []


def test_an_oidc_sign_in_does_not_post_the_secret_to_a_refused_address(
    world, oidc_provider, settings
):
    from django.test import Client

    from tests.tenant_apps.directory.test_oidc import configure, finish, start

    configure(world, oidc_provider)  # on loopback, allowed by the test stack
    client = Client()
    callback = oidc_provider.approve(start(client, world.host_a), "dana")
    settings.OUTBOUND_ALLOWED_NETWORKS = []  # the provider's address is now refused
    answer = finish(client, world.host_a, callback)
    assert answer.status_code == 302
    assert client.get("/api/v1/me", HTTP_HOST=world.host_a).status_code in (401, 403)
