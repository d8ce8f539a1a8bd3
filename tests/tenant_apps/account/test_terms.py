"""Terms of use: admins publish versions; each person's acceptance is recorded (who, which
version, when) and asked for again when a new version is published: pages show the terms
first, the API answers 403 ``terms-not-accepted``."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.account.models import TermsAcceptance
from tests.conftest import eventually
from tests.tenant_apps.account.conftest import make_person, signed_in

pytestmark = pytest.mark.django_db


def _publish(world, text: str, capture) -> dict:
    admin = signed_in(world, world.admin_a)
    with capture(execute=True):  # the cache of the current version is cleared on commit
        response = admin.post(
            "/api/v1/admin/terms/", {"text": text}, content_type="application/json"
        )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_new_version_is_asked_for_before_other_pages_and_recorded_when_accepted(
    world, django_capture_on_commit_callbacks, bearer
):
    wes = make_person(world, "wes", "Wes Wren")
    client = signed_in(world, wes)
    assert client.get("/").status_code == 200  # no terms yet: nothing asked
    first = _publish(world, "Be kind to each other.", django_capture_on_commit_callbacks)
    assert first["version"] == 1

    page = client.get("/groups/")
    assert page.status_code == 302 and page["Location"] == "/terms?next=%2Fgroups%2F"
    terms = client.get(page["Location"])
    assert terms.status_code == 200 and b"Be kind to each other." in terms.content
    # One's own account stays reachable (to take one's data or leave); so does signing out.
    assert client.get("/account/").status_code == 200
    # The API says why, in a problem document, for sessions and tokens alike.
    for response in (
        client.get("/api/v1/me"),
        Client(HTTP_HOST=world.host_a).get("/api/v1/me", **bearer(wes)),
    ):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["type"].endswith("/terms-not-accepted")
    current = client.get("/api/v1/terms").json()
    assert (current["version"], current["accepted"]) == (1, False)

    accepted = client.post("/terms?next=/groups/", {"version": "1", "next": "/groups/"})
    assert accepted.status_code == 302 and accepted["Location"] == "/groups/"
    assert client.get("/groups/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    with schema_context(world.tenant_a.schema_name):
        (row,) = TermsAcceptance.objects.filter(user=wes)
        assert row.version.number == 1 and row.accepted is not None

    # A new version: asked again, through the API this time.
    _publish(world, "Be kind, and cite your sources.", django_capture_on_commit_callbacks)
    assert client.get("/").status_code == 302
    stale = client.post("/api/v1/terms/accept", {"version": 1}, content_type="application/json")
    assert stale.status_code == 400 and "version" in stale.json()["errors"]
    assert (
        client.post(
            "/api/v1/terms/accept", {"version": 2}, content_type="application/json"
        ).status_code
        == 204
    )
    assert client.get("/").status_code == 200
    with schema_context(world.tenant_a.schema_name):
        assert sorted(
            TermsAcceptance.objects.filter(user=wes).values_list("version__number", flat=True)
        ) == [1, 2]


def test_only_admins_publish_and_other_institutions_are_untouched(
    world, django_capture_on_commit_callbacks, bearer
):
    member = Client(HTTP_HOST=world.host_a, **bearer(world.bob))
    assert (
        member.post(
            "/api/v1/admin/terms/", {"text": "Mine"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert signed_in(world, world.bob).post("/manage/terms", {"text": "Mine"}).status_code == 403
    empty = signed_in(world, world.admin_a).post(
        "/api/v1/admin/terms/", {"text": "  "}, content_type="application/json"
    )
    assert empty.status_code == 400
    # Published on the admins' page: listed there, and the admin is asked too.
    admin = signed_in(world, world.admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post("/manage/terms", {"text": "Alpha's rules"}).status_code == 302
    assert b"Version 1" in admin.get("/manage/terms").content  # /manage/ stays open
    assert admin.get("/").status_code == 302
    # Beta publishes nothing: Charlie is never asked, and sees none of Alpha's terms.
    charlie = signed_in(world, world.charlie, world.tenant_b)
    assert charlie.get("/").status_code == 200
    assert charlie.get("/api/v1/terms").status_code == 404
    assert charlie.get("/api/v1/me").status_code == 200
    beta_admin = make_person(world, "beta-chief", "Bea Chief", tenant=world.tenant_b, is_admin=True)
    listed = signed_in(world, beta_admin, world.tenant_b).get("/api/v1/admin/terms/").json()
    assert listed["results"] == []


def test_the_terms_check_costs_no_query_once_accepted(
    world, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    yan = make_person(world, "yan", "Yan Yu")
    client = signed_in(world, yan)
    _publish(world, "Rules.", django_capture_on_commit_callbacks)
    client.post("/terms", {"version": "1"})
    client.get("/api/v1/me")  # warm
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/me").status_code == 200
    assert not any("account_terms" in q["sql"] for q in captured.captured_queries)


# --- the current number, kept per process and schema (config.localcache) ---------------
def test_a_warm_process_reads_the_number_from_neither_redis_nor_postgresql(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_redis import get_redis_connection

    from tenant_apps.account.selectors import terms_current_number

    redis = get_redis_connection("default")
    with schema_context(world.tenant_a.schema_name):
        assert terms_current_number() == 0  # cold: one query
        before = redis.info("commandstats")
        with CaptureQueriesContext(connection) as captured:
            for _ in range(3):
                assert terms_current_number() == 0
        after = redis.info("commandstats")
    assert captured.captured_queries == []
    for command in ("cmdstat_get", "cmdstat_mget"):
        assert before.get(command, {}).get("calls") == after.get(command, {}).get("calls")


def test_publishing_reaches_every_process_and_no_other_institution(
    world, other_process, django_capture_on_commit_callbacks
):
    from tenant_apps.account.selectors import terms_current_number, terms_number_cache

    elsewhere = other_process("terms-number")  # as in another worker: hears only the channel
    for tenant in (world.tenant_a, world.tenant_b):
        with schema_context(tenant.schema_name):
            assert terms_current_number() == 0
            elsewhere.get("current", lambda: 0)
            assert elsewhere.cached("current") and terms_number_cache.cached("current")
    _publish(world, "Rules.", django_capture_on_commit_callbacks)
    with schema_context(world.tenant_a.schema_name):
        assert terms_current_number() == 1  # here, at once
        assert eventually(lambda: not elsewhere.cached("current"))
    with schema_context(world.tenant_b.schema_name):  # same key, another institution
        assert terms_number_cache.cached("current") and elsewhere.cached("current")
        assert terms_current_number() == 0
