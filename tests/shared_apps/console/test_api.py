"""The platform API, /api/v1/platform/: platform admins only, the same services as the console."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.audit.models import AuditEntry
from shared_apps.audit.services import Actor
from tenant_apps.people.services import token_create
from tenants.models import Domain, Tenant, TenantStatus
from tenants.services import tenant_add_domain, tenant_delete, tenant_suspend
from tenants.usage import usage_add
from tests.conftest import sign_in
from tests.shared_apps.console.conftest import second_factor_proven, unique_slug

pytestmark = pytest.mark.django_db

TENANTS = "/api/v1/platform/tenants/"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


def _json(client: Client, method: str, path: str, data=None):
    return getattr(client, method)(path, data, content_type="application/json")


def _institution(host: str) -> int:
    return Client(HTTP_HOST=host).get("/api/v1/institution").status_code


# --- who may call it ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", TENANTS),
        ("post", TENANTS),
        ("get", f"{TENANTS}alpha"),
        ("patch", f"{TENANTS}alpha"),
        ("delete", f"{TENANTS}alpha"),
        ("post", f"{TENANTS}alpha/restore"),
        ("post", f"{TENANTS}alpha/domains/"),
        ("get", "/api/v1/platform/schema/"),
        ("get", "/api/v1/platform/docs/"),
    ],
)
def test_anonymous_callers_get_401_problem(platform_client, world, method, path):
    response = _json(platform_client, method, path, {"slug": "x", "name": "y"})
    body = _problem(response, 401)
    assert body["type"].endswith("/not-authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Tenant.objects.get(slug="alpha").status == TenantStatus.ACTIVE


def test_an_institutions_admin_token_is_refused_on_the_platform_host(world):
    with schema_context(world.tenant_a.schema_name):
        secret = token_create(user=world.admin_a, name="mine")[1]
    assert (
        Client(HTTP_HOST=world.host_a)
        .get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
        .json()["is_admin"]
    )
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_AUTHORIZATION=f"Bearer {secret}")
    _problem(client.get(TENANTS), 401)
    _problem(_json(client, "delete", f"{TENANTS}alpha"), 401)
    assert Tenant.objects.get(slug="alpha").status == TenantStatus.ACTIVE


def test_an_institutions_admin_session_is_refused_on_the_platform_host(world):
    client = sign_in(Client(HTTP_HOST=world.host_a), world.admin_a, world.tenant_a)
    _problem(client.get(TENANTS, HTTP_HOST=settings.PLATFORM_DOMAIN), 401)


def test_a_public_account_that_is_not_an_admin_gets_403(platform_user, world):
    secret = token_create(user=platform_user, name="mine")[1]
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = _problem(client.get(TENANTS), 403)
    assert "platform's administrators" in body["detail"]
    _problem(_json(client, "patch", f"{TENANTS}alpha", {"status": "suspended"}), 403)
    assert Tenant.objects.get(slug="alpha").status == TenantStatus.ACTIVE
    session = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    session.force_login(platform_user)
    _problem(session.get(TENANTS), 403)


def test_a_platform_admins_session_works_with_csrf_on_writes(platform_admin, world):
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, enforce_csrf_checks=True)
    client.force_login(platform_admin)
    _problem(client.get(TENANTS), 403)  # a session that owes its second factor
    second_factor_proven(client, platform_admin)
    assert client.get(TENANTS).status_code == 200
    _problem(_json(client, "patch", f"{TENANTS}alpha", {"name": "Hijacked"}), 403)
    assert Tenant.objects.get(slug="alpha").name == "Alpha University"


def test_the_platform_api_does_not_exist_on_an_institutions_host(client_a, world):
    _problem(client_a.get(TENANTS), 404)


# --- listing --------------------------------------------------------------------------------
def test_the_list_shows_institutions_with_quotas_and_usage_and_nothing_of_their_people(api, world):
    usage_add(world.tenant_a, items=2, bytes_stored=100, bytes_uploaded=300)
    response = api.get(TENANTS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "next"}
    alpha = next(t for t in body["results"] if t["slug"] == "alpha")
    assert set(alpha) == {
        "slug",
        "name",
        "status",
        "domains",
        "created",
        "purge_after",
        "quotas",
        "usage",
    }
    assert alpha["name"] == "Alpha University" and alpha["status"] == "active"
    assert alpha["domains"] == [f"alpha.{settings.PLATFORM_DOMAIN}"]
    assert alpha["purge_after"] is None
    assert alpha["quotas"] == {"people": None, "storage_bytes": None}
    usage = alpha["usage"]
    assert (usage["people"], usage["items"], usage["bytes_stored"], usage["bytes_saved"]) == (
        3,
        2,
        100,
        200,
    )
    assert usage["last_activity"]
    text = response.content.decode().lower()
    assert "alice" not in text and "example.edu" not in text and "u_" not in text


def test_the_list_is_cursor_paginated_in_slug_order(api, world, make_tenant):
    for _ in range(3):
        make_tenant()
    slugs, url = [], f"{TENANTS}?limit=2"
    while url:
        body = api.get(url).json()
        assert len(body["results"]) <= 2
        slugs += [t["slug"] for t in body["results"]]
        url = body["next"]
    assert slugs == sorted(Tenant.objects.values_list("slug", flat=True))
    assert len(slugs) == 5


def test_the_list_searches_and_filters(api, world):
    tenant_add_domain(tenant=world.tenant_b, hostname="learn.beta.example", actor=Actor.cli())
    tenant_suspend(tenant=world.tenant_a, actor=Actor.cli())

    def slugs(**params) -> list[str]:
        return [t["slug"] for t in api.get(TENANTS, params).json()["results"]]

    assert slugs(q="learn.BETA") == ["beta"]
    assert slugs(q="university") == ["alpha"]
    assert slugs(status="suspended") == ["alpha"]
    assert slugs(status="active", q="alpha") == []


def test_a_forged_cursor_is_a_problem_not_a_500(api, world):
    _problem(api.get(TENANTS, {"cursor": "cD1hJTAwYg=="}), 404)  # position "a\x00b"
    _problem(api.get(TENANTS, {"cursor": "nonsense"}), 404)
    _problem(api.get(TENANTS, {"q": "a\x00"}), 400)


def test_an_unknown_status_filter_is_a_400_problem(api, world):
    body = _problem(api.get(TENANTS, {"status": "gone"}), 400)
    assert "status" in body["errors"]


@pytest.mark.parametrize("limit", [1, 100])
def test_a_page_costs_a_bounded_number_of_queries(
    api, world, make_tenant, django_assert_max_num_queries, limit
):
    for index in range(3):
        tenant = make_tenant()
        tenant_add_domain(tenant=tenant, hostname=f"q{index}.example.org", actor=Actor.cli())
    api.get(TENANTS)  # the token's first use is recorded once (a write), then not for a while
    # The token (with its user), the page with usage, the page's domains.
    with django_assert_max_num_queries(3):
        response = api.get(TENANTS, {"limit": limit})
    assert response.status_code == 200


# --- creating -------------------------------------------------------------------------------
def test_creating_an_institution_answers_201_with_it_and_it_is_routable(api, platform_admin):
    slug = unique_slug("api")
    response = _json(api, "post", TENANTS, {"slug": slug.upper(), "name": " API  Institute "})
    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == slug and body["name"] == "API Institute"
    assert body["status"] == "active"
    assert body["domains"] == [f"{slug}.{settings.PLATFORM_DOMAIN}"]
    assert body["usage"]["people"] == 0
    assert _institution(f"{slug}.{settings.PLATFORM_DOMAIN}") == 200
    entry = AuditEntry.objects.get(verb="tenant.created", target=slug)
    assert (entry.actor_kind, entry.actor) == ("admin", platform_admin.public_id)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "No slug"}, "slug", "required"),
        ({"slug": "Bad Slug", "name": "X"}, "slug", "lower-case letters"),
        ({"slug": "admin", "name": "X"}, "slug", "reserved"),
        ({"slug": "beta", "name": "X"}, "slug", "already taken"),
        ({"slug": "fine-one", "name": "   "}, "name", "blank"),
        ({"slug": "fine-one"}, "name", "required"),
        ({"slug": "fine-one", "name": "x" * 201}, "name", "200 characters"),
    ],
)
def test_bad_input_for_a_new_institution_is_a_400_problem(api, world, data, field, message):
    before = (Tenant.objects.count(), AuditEntry.objects.count())
    body = _problem(_json(api, "post", TENANTS, data), 400)
    assert message in " ".join(body["errors"][field])
    assert (Tenant.objects.count(), AuditEntry.objects.count()) == before


def test_a_host_name_taken_meanwhile_is_a_409_problem(api, world):
    slug = unique_slug("clash")
    Domain.objects.create(domain=f"{slug}.{settings.PLATFORM_DOMAIN}", tenant=world.tenant_a)
    _problem(_json(api, "post", TENANTS, {"slug": slug, "name": "Clash"}), 409)
    assert not Tenant.objects.filter(slug=slug).exists()


# --- one institution ------------------------------------------------------------------------
def test_one_institution_and_an_unknown_one(api, world):
    assert api.get(f"{TENANTS}beta").json()["name"] == "Beta College"
    body = _problem(api.get(f"{TENANTS}nowhere"), 404)
    assert body["type"].endswith("/not-found")
    _problem(_json(api, "patch", f"{TENANTS}nowhere", {"name": "X"}), 404)
    _problem(_json(api, "delete", f"{TENANTS}nowhere"), 404)
    _problem(_json(api, "post", f"{TENANTS}nowhere/restore"), 404)
    _problem(_json(api, "post", f"{TENANTS}nowhere/domains/", {"hostname": "a.example"}), 404)


def test_patch_renames_and_sets_and_lifts_quotas(api, world):
    response = _json(
        api,
        "patch",
        f"{TENANTS}alpha",
        {"name": "Alpha Uni", "quota_people": 50, "quota_storage_bytes": 10**9},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Alpha Uni"
    assert body["quotas"] == {"people": 50, "storage_bytes": 10**9}
    body = _json(api, "patch", f"{TENANTS}alpha", {"quota_people": None}).json()
    assert body["quotas"] == {"people": None, "storage_bytes": 10**9}
    assert body["name"] == "Alpha Uni"


def test_patch_suspends_and_resumes(api, world, client_a):
    body = _json(api, "patch", f"{TENANTS}alpha", {"status": "suspended"}).json()
    assert body["status"] == "suspended"
    assert client_a.post("/api/v1/me").status_code == 423
    assert client_a.get("/api/v1/institution").status_code == 200
    assert _json(api, "patch", f"{TENANTS}alpha", {"status": "active"}).json()["status"] == "active"
    assert client_a.post("/api/v1/me").status_code != 423


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"status": "deleting"}, "status"),
        ({"status": "read_only"}, "status"),
        ({"quota_people": -1}, "quota_people"),
        ({"quota_people": "many"}, "quota_people"),
        ({"quota_people": 2**31}, "quota_people"),
        ({"quota_storage_bytes": 2**63}, "quota_storage_bytes"),
        ({"name": ""}, "name"),
        ({"slug": "renamed"}, "slug"),
        ({"name": "Fine", "status": "gone"}, "status"),
    ],
)
def test_bad_patches_are_400_problems_and_change_nothing(api, world, data, field):
    before = AuditEntry.objects.count()
    body = _problem(_json(api, "patch", f"{TENANTS}alpha", data), 400)
    assert field in body["errors"]
    tenant = Tenant.objects.get(slug="alpha")
    assert (tenant.name, tenant.status, tenant.quota_people) == ("Alpha University", "active", None)
    assert AuditEntry.objects.count() == before


def test_a_patch_the_state_forbids_changes_nothing_at_all(api, world):
    tenant_delete(tenant=world.tenant_b, actor=Actor.cli())
    body = _problem(
        _json(api, "patch", f"{TENANTS}beta", {"name": "Renamed", "status": "suspended"}), 400
    )
    assert "restore it first" in body["errors"]["status"][0]
    tenant = Tenant.objects.get(slug="beta")
    assert (tenant.name, tenant.status) == ("Beta College", TenantStatus.DELETING)
    body = _problem(_json(api, "patch", f"{TENANTS}beta", {"status": "active"}), 400)
    assert "restored, not resumed" in body["errors"]["status"][0]


def test_delete_takes_the_hosts_offline_and_restore_brings_them_back(api, world):
    response = _json(api, "delete", f"{TENANTS}alpha")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "deleting" and body["purge_after"]
    assert _institution(world.host_a) == 404
    assert _json(api, "delete", f"{TENANTS}alpha").status_code == 202  # again: no change
    response = _json(api, "post", f"{TENANTS}alpha/restore")
    assert response.status_code == 200
    assert response.json()["status"] == "active" and response.json()["purge_after"] is None
    assert _institution(world.host_a) == 200


def test_restoring_an_institution_that_is_not_deleted_is_a_400_problem(api, world):
    body = _problem(_json(api, "post", f"{TENANTS}alpha/restore"), 400)
    assert "Only a deleted institution" in body["errors"]["status"][0]


def test_a_custom_domain_is_added_and_removed(api, world):
    response = _json(api, "post", f"{TENANTS}alpha/domains/", {"hostname": "Learn.Alpha.Example."})
    assert response.status_code == 201
    assert "learn.alpha.example" in response.json()["domains"]
    assert _institution("learn.alpha.example") == 200
    response = _json(api, "delete", f"{TENANTS}alpha/domains/", {"hostname": "learn.alpha.example"})
    assert response.status_code == 200
    assert response.json()["domains"] == [f"alpha.{settings.PLATFORM_DOMAIN}"]
    assert _institution("learn.alpha.example") == 404


def test_a_custom_domain_can_be_removed_by_query_string(api, world):
    tenant_add_domain(tenant=world.tenant_a, hostname="old.alpha.example", actor=Actor.cli())
    response = api.delete(f"{TENANTS}alpha/domains/?hostname=old.alpha.example")
    assert response.status_code == 200
    assert "old.alpha.example" not in response.json()["domains"]


@pytest.mark.parametrize(
    ("method", "hostname", "message"),
    [
        ("post", "not a host", "not a valid host name"),
        ("post", "beta.localhost", "platform's own"),
        ("post", "", "blank"),
        ("delete", "alpha.localhost", "cannot be removed"),
        ("delete", "nowhere.example", "no domain"),
    ],
)
def test_bad_domains_are_400_problems(api, world, method, hostname, message):
    before = Domain.objects.count()
    body = _problem(_json(api, method, f"{TENANTS}alpha/domains/", {"hostname": hostname}), 400)
    assert message in body["errors"]["hostname"][0]
    assert Domain.objects.count() == before


# --- the OpenAPI document -------------------------------------------------------------------
def test_the_platform_host_documents_the_platform_api(api):
    response = api.get("/api/v1/platform/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) >= {
        "/api/v1/platform/tenants/",
        "/api/v1/platform/tenants/{slug}",
        "/api/v1/platform/tenants/{slug}/restore",
        "/api/v1/platform/tenants/{slug}/domains/",
    }
    assert set(paths["/api/v1/platform/tenants/{slug}"]) >= {"get", "patch", "delete"}
    assert "202" in paths["/api/v1/platform/tenants/{slug}"]["delete"]["responses"]
    listing = paths["/api/v1/platform/tenants/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"q", "status", "cursor", "limit"}
    assert api.get("/api/v1/platform/docs/").status_code == 200


def test_an_institutions_api_document_does_not_list_the_platform_api(client_a):
    response = client_a.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert not [path for path in response.json()["paths"] if "platform" in path]


def test_the_platform_api_schema_is_valid_and_free_of_warnings():
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(
        patterns=[path("api/v1/platform/", include("shared_apps.console.api_urls"))]
    )
    schema = generator.get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS, (GENERATOR_STATS._warn_cache, GENERATOR_STATS._error_cache)


def test_a_stale_institution_template_is_a_503_problem(api, monkeypatch):
    from tenants.provisioning import TemplateStale

    def stale(**kwargs):
        raise TemplateStale("run `manage.py migrate_tenants` to refresh it")

    monkeypatch.setattr("shared_apps.console.api.tenant_create", stale)
    body = _problem(_json(api, "post", TENANTS, {"slug": unique_slug(), "name": "Later"}), 503)
    assert "migrate_tenants" in body["detail"]
