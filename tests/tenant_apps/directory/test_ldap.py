"""Sign-in with directory accounts against a real OpenLDAP (slapd started by make test)."""

from __future__ import annotations

import contextlib
import os
import socket
import uuid

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import schema_context

from tenant_apps.directory.services import ldap_settings_set
from tenant_apps.people.models import User
from tenants.models import TenantUsage

pytestmark = pytest.mark.django_db
URI = os.environ.get("OAE_TEST_LDAP_URI", "")
SUFFIX = "dc=oae,dc=test"


def _reachable() -> bool:
    if not URI:
        return False
    host, port = URI.removeprefix("ldap://").rstrip("/").split(":")
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port))) == 0


@pytest.fixture
def directory():
    """An LDAP connection as the directory's admin, with the people branch present."""
    if not _reachable():
        pytest.skip("no OpenLDAP test server (make test starts slapd; OAE_TEST_LDAP_URI unset)")
    import ldap
    import ldap.modlist

    conn = ldap.initialize(URI)
    conn.simple_bind_s(
        os.environ["OAE_TEST_LDAP_ADMIN_DN"], os.environ["OAE_TEST_LDAP_ADMIN_PASSWORD"]
    )
    for dn, attrs in (
        (SUFFIX, {"objectClass": [b"dcObject", b"organization"], "dc": [b"oae"], "o": [b"OAE"]}),
        (f"ou=people,{SUFFIX}", {"objectClass": [b"organizationalUnit"], "ou": [b"people"]}),
    ):
        with contextlib.suppress(ldap.ALREADY_EXISTS):
            conn.add_s(dn, ldap.modlist.addModlist(attrs))
    added: list[str] = []

    def person(uid: str, password: str, cn: str, mail: str) -> str:
        dn = f"uid={uid},ou=people,{SUFFIX}"
        conn.add_s(
            dn,
            ldap.modlist.addModlist(
                {
                    "objectClass": [b"inetOrgPerson"],
                    "uid": [uid.encode()],
                    "cn": [cn.encode()],
                    "sn": [cn.split()[-1].encode()],
                    "mail": [mail.encode()],
                    "userPassword": [password.encode()],
                }
            ),
        )
        added.append(dn)
        return uid

    yield person
    for dn in added:
        conn.delete_s(dn)
    conn.unbind_s()


@pytest.fixture(autouse=True)
def _clear_signin_counters():
    cache.clear()
    yield
    cache.clear()


def _configure(world, tenant=None, **overrides):
    values = {
        "enabled": True,
        "server_uri": URI,
        "bind_dn": os.environ.get("OAE_TEST_LDAP_ADMIN_DN", ""),
        "bind_password": os.environ.get("OAE_TEST_LDAP_ADMIN_PASSWORD", ""),
        "user_search_base": f"ou=people,{SUFFIX}",
    }
    with schema_context((tenant or world.tenant_a).schema_name):
        return ldap_settings_set(actor=None, **{**values, **overrides})


def test_a_directory_account_signs_in_and_becomes_a_person(client_a, world, directory):
    uid = directory(
        f"lena{uuid.uuid4().hex[:6]}", "directory pass 1", "Lena Lindqvist", "lena@alpha.example"
    )
    _configure(world)
    people_before = TenantUsage.objects.get(tenant=world.tenant_a).people
    response = client_a.post(
        "/api/v1/auth/token", {"username": uid, "password": "directory pass 1"}
    )
    assert response.status_code == 201, response.content
    with schema_context(world.tenant_a.schema_name):
        person = User.objects.get(username=uid)
    assert (person.display_name, person.email) == ("Lena Lindqvist", "lena@alpha.example")
    assert response.json()["user"]["id"] == person.public_id
    assert TenantUsage.objects.get(tenant=world.tenant_a).people == people_before + 1
    # The browser's sign-in form takes the same account.
    assert (
        client_a.post("/signin", {"username": uid, "password": "directory pass 1"}).status_code
        == 302
    )


def test_a_wrong_directory_password_is_refused(client_a, world, directory):
    uid = directory(f"omar{uuid.uuid4().hex[:6]}", "right one", "Omar Ali", "o@alpha.example")
    _configure(world)
    response = client_a.post("/api/v1/auth/token", {"username": uid, "password": "wrong"})
    assert response.status_code == 401


def test_a_directory_account_cannot_sign_in_where_ldap_is_not_configured(client_b, directory):
    uid = directory(f"nina{uuid.uuid4().hex[:6]}", "nina pass", "Nina N", "n@alpha.example")
    response = client_b.post("/api/v1/auth/token", {"username": uid, "password": "nina pass"})
    assert response.status_code == 401


def test_an_unreachable_directory_means_refused_not_a_server_error(client_a, world, directory):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    _configure(world, server_uri=f"ldap://127.0.0.1:{closed}")
    response = client_a.post("/api/v1/auth/token", {"username": "anyone", "password": "x"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"server_uri": "http://ldap.example"}, "server_uri"),
        ({"user_filter": "(uid=someone)"}, "user_filter"),
        ({"user_search_base": "not a dn"}, "user_search_base"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(world, overrides, field):
    with pytest.raises(ValidationError) as error:
        _configure(world, **overrides)
    assert field in error.value.message_dict


def test_only_admins_configure_sign_in(world):
    with schema_context(world.tenant_a.schema_name), pytest.raises(PermissionDenied):
        ldap_settings_set(actor=world.bob, enabled=False)


def test_admins_configure_ldap_through_the_api_and_the_password_never_comes_back(
    client_a, world, directory
):
    from tests.conftest import sign_in

    sign_in(client_a, world.admin_a, world.tenant_a)
    assert client_a.get("/api/v1/admin/signin/ldap").json()["enabled"] is False
    payload = {
        "enabled": True,
        "server_uri": URI,
        "bind_dn": os.environ["OAE_TEST_LDAP_ADMIN_DN"],
        "bind_password": os.environ["OAE_TEST_LDAP_ADMIN_PASSWORD"],
        "user_search_base": f"ou=people,{SUFFIX}",
    }
    import json

    response = client_a.patch(
        "/api/v1/admin/signin/ldap", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["enabled"] is True and body["bind_password_set"] is True
    assert os.environ["OAE_TEST_LDAP_ADMIN_PASSWORD"] not in response.content.decode()
    bad = client_a.patch(
        "/api/v1/admin/signin/ldap",
        json.dumps({"user_filter": "(uid=x)"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "user_filter" in bad.json()["errors"]
    uid = directory(f"pat{uuid.uuid4().hex[:6]}", "pat pass", "Pat Park", "pat@alpha.example")
    fresh = client_a.__class__(HTTP_HOST=world.host_a)
    assert (
        fresh.post("/api/v1/auth/token", {"username": uid, "password": "pat pass"}).status_code
        == 201
    )


def test_members_and_other_institutions_cannot_see_ldap_settings(client_a, client_b, world):
    from tests.conftest import sign_in

    _configure(world, server_uri="ldap://ldap.alpha.example")
    sign_in(client_a, world.bob, world.tenant_a)
    assert client_a.get("/api/v1/admin/signin/ldap").status_code == 403
    sign_in(client_b, world.charlie, world.tenant_b)
    response = client_b.get("/api/v1/admin/signin/ldap")
    assert response.status_code == 403
    assert "ldap.alpha.example" not in response.content.decode()


def test_reading_the_ldap_settings_costs_a_bounded_number_of_queries(
    client_a, world, django_assert_max_num_queries
):
    from tests.conftest import sign_in

    _configure(world, server_uri="ldap://ldap.alpha.example")
    sign_in(client_a, world.admin_a, world.tenant_a)
    client_a.get("/api/v1/admin/signin/ldap")  # warm the host cache
    with django_assert_max_num_queries(4):  # session, user, settings, and at most one SET
        assert client_a.get("/api/v1/admin/signin/ldap").status_code == 200


def test_a_directory_person_without_a_name_attribute_is_not_shown_by_username(
    client_a, world, directory
):
    uid = directory(
        f"nn{uuid.uuid4().hex[:6]}", "directory pass 2", "Nina Noname", "n@alpha.example"
    )
    _configure(world, display_name_attribute="displayName")  # which this entry lacks
    response = client_a.post(
        "/api/v1/auth/token", {"username": uid, "password": "directory pass 2"}
    )
    assert response.status_code == 201, response.content
    with schema_context(world.tenant_a.schema_name):
        person = User.objects.get(username=uid)
    assert person.display_name == "New member"
