"""Per-process caches of what every request reads (config.localcache): the institution's
profile, the signed-in user, bearer tokens, and sessions' copies in Redis.

"Another process" is a second cache instance of the same name: it hears of a write only
through the Redis channel (the acting instance forgets at once, in process), exactly as
another gunicorn worker does.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context, tenant_context

from config import localcache
from config.localcache import LocalCache
from tenant_apps.institution.admin_services import institution_settings_update
from tenant_apps.institution.models import InstitutionProfile
from tenant_apps.institution.selectors import institution_profile
from tenant_apps.people.admin_services import person_access_set
from tenant_apps.people.models import AccessToken, User
from tenant_apps.people.selectors import token_for_secret, user_for_session
from tenant_apps.people.services import token_create, token_hash, token_revoke, user_create
from tests.conftest import eventually, sign_in

pytestmark = pytest.mark.django_db


def _warm(cache: LocalCache, schema: str, key, load) -> None:
    with schema_context(schema):
        cache.get(key, load)
        assert cache.cached(key)


def _sql(client, path: str, **extra) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **extra)
    assert response.status_code == 200, response.content[:300]
    return [query["sql"] for query in captured.captured_queries]


def _profile_reads(statements: list[str]) -> int:
    return sum('FROM "institution_institutionprofile"' in sql for sql in statements)


# --- the institution's profile -----------------------------------------------------
def test_a_signed_in_page_reads_the_profile_once_cold_and_never_warm(client_a, world):
    sign_in(client_a, world.bob, world.tenant_a)  # not staff: user_can_authenticate asks
    localcache.clear_all()  # (signing in may have read the profile already)
    cold = _sql(client_a, "/people/")
    warm = _sql(client_a, "/people/")
    assert _profile_reads(cold) == 1, cold
    assert _profile_reads(warm) == 0, warm
    assert len(warm) < len(cold)


def test_a_profile_change_reaches_this_and_every_other_process(
    client_a, world, other_process, django_capture_on_commit_callbacks
):
    elsewhere = other_process("institution-profile")
    schema = world.tenant_a.schema_name
    load = lambda: InstitutionProfile.objects.get(pk=InstitutionProfile.SINGLETON_PK)  # noqa: E731
    _warm(elsewhere, schema, InstitutionProfile.SINGLETON_PK, load)
    assert "Alpha University" in client_a.get("/signin").content.decode()

    with tenant_context(world.tenant_a), django_capture_on_commit_callbacks(execute=True):
        institution_settings_update(actor=world.admin_a, name="Alpha Renamed")

    assert "Alpha Renamed" in client_a.get("/signin").content.decode()  # here, at once
    with schema_context(schema):
        assert eventually(lambda: not elsewhere.cached(InstitutionProfile.SINGLETON_PK))
        assert institution_profile().name == "Alpha Renamed"


def test_the_profile_returned_is_a_copy(world):
    with schema_context(world.tenant_a.schema_name):
        institution_profile().name = "Changed in memory only"
        assert institution_profile().name == "Alpha University"


# --- users: password change and deactivation ---------------------------------------
def test_a_password_change_signs_out_every_session_in_every_process(
    client_a, world, other_process, django_capture_on_commit_callbacks
):
    schema = world.tenant_a.schema_name
    with schema_context(schema):
        person = user_create(username="pat", password="first password 123", display_name="Pat")
    sign_in(client_a, person, world.tenant_a)
    assert client_a.get("/api/v1/me").status_code == 200  # cached now
    elsewhere = other_process("people-user")
    _warm(elsewhere, schema, person.pk, lambda: User.objects.get(pk=person.pk))

    with schema_context(schema), django_capture_on_commit_callbacks(execute=True):
        row = User.objects.get(pk=person.pk)
        row.set_password("second password 456")
        row.save()

    assert client_a.get("/api/v1/me").status_code in (401, 403)
    with schema_context(schema):
        assert eventually(lambda: not elsewhere.cached(person.pk))


def test_deactivation_stops_sessions_and_tokens_in_every_process(
    client_a, world, other_process, django_capture_on_commit_callbacks
):
    schema = world.tenant_a.schema_name
    with schema_context(schema):
        person = user_create(username="quin", password="first password 123", display_name="Q")
        _token, raw = token_create(user=person, name="t")
    session = sign_in(client_a.__class__(HTTP_HOST=world.host_a), person, world.tenant_a)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client_a.get("/api/v1/me", **bearer).status_code == 200
    assert session.get("/api/v1/me").status_code == 200
    elsewhere = other_process("people-user")
    _warm(elsewhere, schema, person.pk, lambda: User.objects.get(pk=person.pk))

    with schema_context(schema), django_capture_on_commit_callbacks(execute=True):
        person_access_set(actor=world.admin_a, person=person, is_active=False)

    assert client_a.get("/api/v1/me", **bearer).status_code == 401
    assert session.get("/api/v1/me").status_code in (401, 403)
    with schema_context(schema):
        assert eventually(lambda: not elsewhere.cached(person.pk))


# --- bearer tokens ----------------------------------------------------------------
def test_a_warm_token_costs_no_query_and_a_revoked_one_stops_at_once_everywhere(
    client_a, world, other_process, django_capture_on_commit_callbacks
):
    schema = world.tenant_a.schema_name
    with schema_context(schema):
        token, raw = token_create(user=world.alice, name="t")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    elsewhere = other_process("people-token")
    key = token_hash(raw)
    _warm(elsewhere, schema, key, lambda: AccessToken.objects.get(key_hash=key))
    client_a.get("/api/v1/me", **bearer)  # warms the hostname, token and user caches

    warm = _sql(client_a, "/api/v1/me", **bearer)
    assert not any('"people_accesstoken"' in sql for sql in warm), warm
    assert not any('FROM "people_user"' in sql for sql in warm), warm

    with schema_context(schema), django_capture_on_commit_callbacks(execute=True):
        token_revoke(token=AccessToken.objects.get(pk=token.pk))

    assert client_a.get("/api/v1/me", **bearer).status_code == 401
    with schema_context(schema):
        assert eventually(lambda: not elsewhere.cached(key))
        assert token_for_secret(raw) is None


# --- no entry is shared between institutions ----------------------------------------
def test_two_institutions_with_the_same_ids_never_share_an_entry(world):
    assert world.alice.pk == world.charlie.pk  # each schema numbers its own rows
    with schema_context(world.tenant_a.schema_name):
        assert user_for_session(world.alice.pk).username == "alice"
        assert institution_profile().name == "Alpha University"
        _token, raw = token_create(user=world.alice, name="t")
        assert token_for_secret(raw) is not None
    with schema_context(world.tenant_b.schema_name):
        assert user_for_session(world.charlie.pk).username == "charlie"
        assert institution_profile().name == "Beta College"
        assert token_for_secret(raw) is None  # alpha's token is nothing on beta
    with schema_context(world.tenant_a.schema_name):
        assert user_for_session(world.alice.pk).username == "alice"


def test_another_institution_s_session_cookie_is_nobody(client_a, client_b, world):
    sign_in(client_a, world.alice, world.tenant_a)
    assert client_a.get("/api/v1/me").status_code == 200
    client_b.cookies = client_a.cookies  # the same session key, on beta's host
    assert client_b.get("/api/v1/me").status_code in (401, 403)


def test_nothing_is_kept_from_inside_a_transaction_that_may_roll_back(world):
    from django.db import transaction

    from tenant_apps.people.caches import user_cache

    with schema_context(world.tenant_a.schema_name):
        with transaction.atomic():
            user_for_session(world.bob.pk)
            assert not user_cache.cached(world.bob.pk)
        user_for_session(world.bob.pk)
        assert user_cache.cached(world.bob.pk)
