"""Admins choose the sign-in methods: local passwords on/off, LDAP and OpenID Connect settings
(page and API), secrets encrypted and never shown, every change in the audit trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.directory.models import LdapSettings
from tenant_apps.directory.services import (
    ldap_settings_set,
    local_signin_set,
    oidc_settings_set,
    signin_methods,
)
from tenant_apps.institution.models import AdminAction, InstitutionProfile
from tenant_apps.people.account_services import password_reset_request
from tests.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"
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


def _password_signin(world, username: str):
    return Client().post(
        "/signin", {"username": username, "password": PASSWORD}, HTTP_HOST=world.host_a
    )


def test_local_passwords_cannot_be_switched_off_without_another_way_in(world):
    with schema_context(world.tenant_a.schema_name):
        with pytest.raises(ValidationError) as refused:
            local_signin_set(actor=world.admin_a, enabled=False)
        assert "no way to sign in" in str(refused.value)
        assert signin_methods() == {"local": True, "ldap": False, "oidc": False, "saml": False}


def test_without_local_passwords_only_admins_sign_in_with_one(world, mailoutbox):
    with schema_context(world.tenant_a.schema_name):
        oidc_settings_set(actor=world.admin_a, **OIDC)
        InstitutionProfile.objects.update(self_registration=True)
        local_signin_set(actor=world.admin_a, enabled=False)
        profile = InstitutionProfile.objects.get()
        assert not profile.local_signin and not profile.self_registration
        # Turning the last other method off is refused too.
        with pytest.raises(ValidationError):
            oidc_settings_set(actor=world.admin_a, enabled=False)
        with pytest.raises(ValidationError):
            from tenant_apps.institution.admin_services import institution_settings_update

            institution_settings_update(actor=world.admin_a, self_registration=True)
    refused = _password_signin(world, "alice")
    assert refused.status_code == 400
    assert b"not correct" in refused.content
    assert _password_signin(world, "alpha-admin").status_code == 302
    # No password-reset mail for people who cannot use a password (same answer as ever).
    with schema_context(world.tenant_a.schema_name):
        assert password_reset_request(email="alice@example.edu", address="x", base_url="") == 0
    page = Client().get("/signin", HTTP_HOST=world.host_a)
    assert b"Institution admins: sign in with a password" in page.content
    assert b"Forgotten your password" not in page.content


def test_the_api_switches_local_passwords(world, client_a, bearer):
    admin = bearer(world.admin_a)
    answer = client_a.patch(
        "/api/v1/admin/signin", {"local": False}, content_type="application/json", **admin
    )
    assert answer.status_code == 400 and answer["Content-Type"] == PROBLEM
    assert "local_signin" in answer.json()["errors"]
    with schema_context(world.tenant_a.schema_name):
        oidc_settings_set(actor=world.admin_a, **OIDC)
    answer = client_a.patch(
        "/api/v1/admin/signin", {"local": False}, content_type="application/json", **admin
    )
    assert answer.json() == {
        "local": False,
        "ldap": False,
        "oidc": True,
        "saml": False,
        "two_factor": "off",
    }
    assert client_a.get("/api/v1/admin/signin", **admin).json()["local"] is False


def test_oidc_settings_through_the_api_never_return_the_secret(world, client_a, bearer):
    admin = bearer(world.admin_a)
    answer = client_a.patch(
        "/api/v1/admin/signin/oidc", OIDC, content_type="application/json", **admin
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["client_secret_set"] is True and "client_secret" not in body
    assert "very-secret-value" not in answer.content.decode()
    assert (
        "very-secret-value"
        not in client_a.get("/api/v1/admin/signin/oidc", **admin).content.decode()
    )
    with schema_context(world.tenant_a.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM directory_oidcsettings")
        assert "very-secret-value" not in cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"token_endpoint": "ftp://login.example.edu/token"}, "token_endpoint"),
        ({"issuer": ""}, "issuer"),
        ({"scopes": "email profile"}, "scopes"),
        ({"jwks_uri": ""}, "jwks_uri"),
        ({"sign_algorithm": "none"}, "sign_algorithm"),
    ],
)
def test_bad_oidc_settings_are_refused_field_by_field(world, client_a, change, field, bearer):
    answer = client_a.patch(
        "/api/v1/admin/signin/oidc",
        {**OIDC, **change},
        content_type="application/json",
        **bearer(world.admin_a),
    )
    assert answer.status_code == 400 and answer["Content-Type"] == PROBLEM
    assert field in answer.json()["errors"]
    with schema_context(world.tenant_a.schema_name):
        assert not signin_methods()["oidc"]


def test_https_is_required_for_providers_when_http_is_not_allowed(world, settings):
    settings.OIDC_ALLOW_HTTP = False
    with schema_context(world.tenant_a.schema_name), pytest.raises(ValidationError) as refused:
        oidc_settings_set(actor=world.admin_a, **{**OIDC, "issuer": "http://login.example.edu"})
    assert "https://" in str(refused.value.message_dict["issuer"])


def test_the_ldap_bind_password_is_stored_encrypted(world):
    with schema_context(world.tenant_a.schema_name):
        ldap_settings_set(
            actor=world.admin_a,
            enabled=True,
            server_uri="ldap://127.0.0.1:1",
            bind_dn="cn=admin,dc=ex,dc=edu",
            bind_password="bind-secret-123",
            user_search_base="ou=people,dc=ex,dc=edu",
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT bind_password FROM directory_ldapsettings")
            stored = cursor.fetchone()[0]
        assert stored.startswith("fernet:") and "bind-secret-123" not in stored
        assert LdapSettings.objects.get().bind_password == "bind-secret-123"


def test_the_sign_in_methods_page(world, client_a):
    assert client_a.get("/manage/signin").status_code == 302  # to sign in
    sign_in(client_a, world.bob, world.tenant_a)
    assert client_a.get("/manage/signin").status_code == 403
    sign_in(client_a, world.admin_a, world.tenant_a)
    page = client_a.get("/manage/signin")
    assert page.status_code == 200
    assert f"http://{world.host_a}/oidc/callback".encode() in page.content
    values = {
        **OIDC,
        "enabled": "on",
        "label": "Campus login",
        "scopes": "openid email profile",
        "sign_algorithm": "RS256",
        "create_people": "on",
    }
    form = {"section": "oidc", **{f"oidc-{key}": value for key, value in values.items()}}
    saved = client_a.post("/manage/signin", form)
    assert saved.status_code == 302
    # Saving again with the secret left empty keeps the stored one.
    form["oidc-client_secret"] = ""
    form["oidc-label"] = "Campus SSO"
    assert client_a.post("/manage/signin", form).status_code == 302
    with schema_context(world.tenant_a.schema_name):
        from tenant_apps.directory.models import OidcSettings

        row = OidcSettings.objects.get()
        assert row.label == "Campus SSO" and row.client_secret == "very-secret-value"
    page = client_a.get("/manage/signin")
    assert b"very-secret-value" not in page.content
    bad = client_a.post("/manage/signin", {**form, "oidc-token_endpoint": "nonsense"})
    assert bad.status_code == 400 and b"http(s) address" in bad.content
    refused = client_a.post("/manage/signin", {"section": "local"})  # unticked: off
    assert refused.status_code == 302  # OpenID Connect is on, so it may go off
    assert client_a.post("/manage/signin", {"section": "nothing"}).status_code == 302


def test_admin_actions_land_in_the_institutions_audit_trail(world, client_a, bearer):
    admin = bearer(world.admin_a)
    client_a.patch("/api/v1/admin/signin/oidc", OIDC, content_type="application/json", **admin)
    client_a.patch(
        f"/api/v1/admin/people/{world.bob.public_id}",
        {"is_admin": True},
        content_type="application/json",
        **admin,
    )
    client_a.patch(
        "/api/v1/admin/institution",
        {"primary_colour": "#112233"},
        content_type="application/json",
        **admin,
    )
    with schema_context(world.tenant_a.schema_name):
        verbs = list(AdminAction.objects.order_by("id").values_list("verb", "target"))
    assert verbs == [
        ("signin.oidc_updated", "signin.oidc"),
        ("person.access_changed", world.bob.public_id),
        ("institution.updated", "institution"),
    ]
    body = client_a.get("/api/v1/admin/audit/?limit=2", **admin).json()
    assert [entry["verb"] for entry in body["results"]] == [
        "institution.updated",
        "person.access_changed",
    ]
    assert body["results"][0]["actor"] == world.admin_a.public_id
    assert "very-secret-value" not in str(body) and body["next"]
    # Charlie's institution has its own, empty, trail; alpha's is not reachable from beta.
    charlie = bearer(world.charlie, world.tenant_b)
    assert (
        Client().get("/api/v1/admin/audit/", HTTP_HOST=world.host_b, **charlie).status_code == 403
    )
    assert (
        Client().get("/api/v1/admin/audit/", HTTP_HOST=world.host_a, **charlie).status_code == 401
    )


def test_the_audit_page_pages_by_keyset(world, client_a, django_assert_max_num_queries):
    with schema_context(world.tenant_a.schema_name):
        from tenant_apps.institution.audit import admin_action_record

        for index in range(60):
            admin_action_record(actor=world.admin_a, verb="test.step", target=f"n{index}")
    sign_in(client_a, world.admin_a, world.tenant_a)
    client_a.get("/manage/audit")
    with django_assert_max_num_queries(8):
        first = client_a.get("/manage/audit")
    assert first.status_code == 200 and b"n59" in first.content and b"n9<" not in first.content
    older = first.context["next_before"]
    second = client_a.get(f"/manage/audit?before={older}")
    assert b"n9<" in second.content and b"n59" not in second.content
    assert client_a.get("/manage/audit?before=abc").status_code == 404


def test_renaming_on_manage_renames_the_platforms_record_and_back(world, client_a, bearer):
    from shared_apps.audit.services import Actor
    from tenants.models import Tenant
    from tenants.services import tenant_update

    admin = bearer(world.admin_a)
    client_a.patch(
        "/api/v1/admin/institution",
        {"name": "Alpha  Institute"},
        content_type="application/json",
        **admin,
    )
    assert Tenant.objects.get(pk=world.tenant_a.pk).name == "Alpha Institute"
    tenant_update(tenant=world.tenant_a, actor=Actor.cli(), name="Alpha University of Tests")
    with schema_context(world.tenant_a.schema_name):
        assert InstitutionProfile.objects.get().name == "Alpha University of Tests"


def test_reencrypt_secrets_rotates_to_the_newest_key(world, settings):
    from io import StringIO

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from config.crypto import PREFIX

    with schema_context(world.tenant_a.schema_name):
        oidc_settings_set(actor=world.admin_a, **OIDC)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    out = StringIO()
    call_command("reencrypt_secrets", stdout=out)
    assert "alpha: 1 secret(s) re-encrypted" in out.getvalue()
    with schema_context(world.tenant_a.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM directory_oidcsettings")
        stored = cursor.fetchone()[0]
    token = stored.removeprefix(PREFIX).encode()
    assert Fernet(new_key.encode()).decrypt(token) == b"very-secret-value"


@pytest.mark.parametrize(
    ("path", "most"),
    [
        ("/api/v1/admin/signin", 6),
        ("/api/v1/admin/signin/ldap", 5),
        ("/api/v1/admin/signin/oidc", 5),
        ("/api/v1/admin/audit/", 6),
    ],
)
def test_the_sign_in_admin_endpoints_cost_a_bounded_number_of_queries(
    world, client_a, django_assert_max_num_queries, path, most, bearer
):
    admin = bearer(world.admin_a)
    client_a.get(path, **admin)
    with django_assert_max_num_queries(most):
        assert client_a.get(path, **admin).status_code == 200


@pytest.mark.parametrize(("path", "most"), [("/signin", 8), ("/manage/signin", 10)])
def test_the_sign_in_pages_cost_a_bounded_number_of_queries(
    world, client_a, django_assert_max_num_queries, path, most
):
    if path.startswith("/manage"):
        sign_in(client_a, world.admin_a, world.tenant_a)
    client_a.get(path)
    with django_assert_max_num_queries(most):
        assert client_a.get(path).status_code == 200
