"""The platform console: who gets in, what each page shows, what each action changes."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from shared_apps.audit.models import AuditEntry
from shared_apps.audit.services import Actor, audit_record
from tenants.models import Domain, Tenant, TenantStatus
from tenants.services import tenant_add_domain, tenant_delete, tenant_suspend
from tenants.usage import usage_add
from tests.conftest import PASSWORD, sign_in
from tests.shared_apps.console.conftest import second_factor_proven, unique_slug

pytestmark = pytest.mark.django_db

PAGES = ["/console/", "/console/new", "/console/t/alpha/", "/console/audit/", "/console/tokens/"]


def _text(response) -> str:
    return response.content.decode()


def _status_of(slug: str) -> str:
    return Tenant.objects.get(slug=slug).status


def _institution(host: str) -> int:
    """The status an institution's host answers a read with."""
    return Client(HTTP_HOST=host).get("/api/v1/institution").status_code


# --- who gets in ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(platform_client, path):
    response = platform_client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login?next=")


def test_an_anonymous_action_changes_nothing(platform_client, world):
    response = platform_client.post("/console/t/alpha/suspend")
    assert response.status_code == 302
    assert "/console/login" in response["Location"]
    assert _status_of("alpha") == TenantStatus.ACTIVE


def test_the_sign_in_page_has_a_labelled_form_with_csrf(platform_client):
    response = platform_client.get("/console/login")
    assert response.status_code == 200
    html = _text(response)
    assert '<label for="id_username"' in html
    assert '<label for="id_password"' in html
    assert "csrfmiddlewaretoken" in html


def test_a_platform_admin_signs_in_with_a_password(platform_client, admin_with_password):
    response = platform_client.post(
        "/console/login", {"username": "root", "password": PASSWORD, "next": "/console/audit/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/console/audit/"
    # Then the second factor (enrolling the first time: tests/.../test_two_factor.py).
    assert platform_client.get("/console/")["Location"] == "/2fa/enrol?next=/console/"
    second_factor_proven(platform_client, admin_with_password)
    assert platform_client.get("/console/").status_code == 200


def test_sign_in_ignores_a_next_address_on_another_site(platform_client, admin_with_password):
    response = platform_client.post(
        "/console/login",
        {"username": "root", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/console/"


def test_a_wrong_password_is_refused_with_a_clear_message(platform_client, admin_with_password):
    response = platform_client.post("/console/login", {"username": "root", "password": "nope"})
    assert response.status_code == 400
    assert "do not match a platform administrator" in _text(response)
    assert platform_client.get("/console/").status_code == 302


def test_an_institutions_admin_cannot_sign_in_to_the_console(platform_client, world):
    # Their account lives in alpha's schema: on the platform host it does not exist.
    response = platform_client.post(
        "/console/login", {"username": world.admin_a.username, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "sign in on their institution" in _text(response)
    assert platform_client.get("/console/").status_code == 302


def test_an_institutions_admin_session_is_worthless_on_the_platform_host(world):
    client = sign_in(Client(HTTP_HOST=world.host_a), world.admin_a, world.tenant_a)
    # The same cookie presented to the platform host (a browser would not even send it).
    response = client.get("/console/", HTTP_HOST=settings.PLATFORM_DOMAIN)
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login")


def test_a_public_account_that_is_not_an_admin_cannot_sign_in(platform_client, user_with_password):
    response = platform_client.post("/console/login", {"username": "visitor", "password": PASSWORD})
    assert response.status_code == 400
    assert platform_client.get("/console/").status_code == 302


@pytest.mark.parametrize("path", PAGES)
def test_a_public_account_that_is_not_an_admin_gets_403(platform_client, platform_user, path):
    platform_client.force_login(platform_user)
    response = platform_client.get(path)
    assert response.status_code == 403
    assert "may not use the console" in _text(response)


def test_a_non_admin_cannot_act(platform_client, platform_user, world):
    platform_client.force_login(platform_user)
    assert platform_client.post("/console/t/alpha/suspend").status_code == 403
    assert _status_of("alpha") == TenantStatus.ACTIVE


def test_signing_out_ends_the_session(console):
    response = console.post("/console/logout")
    assert response.status_code == 302
    assert response["Location"] == "/console/login"
    assert console.get("/console/").status_code == 302


def test_signing_out_is_a_post(console):
    assert console.get("/console/logout").status_code == 405
    assert console.get("/console/").status_code == 200


def test_forms_need_the_csrf_token(admin_with_password, world):
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, enforce_csrf_checks=True)
    response = client.post("/console/login", {"username": "root", "password": PASSWORD})
    assert response.status_code == 403
    client.force_login(admin_with_password)
    second_factor_proven(client, admin_with_password)
    assert client.post("/console/t/alpha/suspend").status_code == 403
    assert _status_of("alpha") == TenantStatus.ACTIVE


# --- the list of institutions ---------------------------------------------------------------
def _names(response) -> list[str]:
    return re.findall(r'<a href="/console/t/[^/]+/">([^<]+)</a>', _text(response))


def test_the_list_shows_each_institution_with_its_usage(console, world, make_tenant):
    make_tenant(name="Quiet Place")  # no activity yet
    usage_add(world.tenant_a, items=7, bytes_stored=3 * 1024**2, bytes_uploaded=5 * 1024**2)
    tenant_add_domain(tenant=world.tenant_b, hostname="learn.beta.example", actor=Actor.cli())
    html = _text(console.get("/console/"))
    assert "Alpha University" in html and "Beta College" in html
    assert f"alpha.{settings.PLATFORM_DOMAIN}" in html
    assert "learn.beta.example" in html
    assert ">7<" in html  # items
    assert "3.0\xa0MB" in html  # bytes stored
    assert "2.0\xa0MB" in html  # saved by de-duplication
    assert "ago</time>" in html  # alpha's last activity
    assert '<span class="muted">never</span>' in html  # the quiet one


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("alpha", ["Alpha University"]),
        ("COLLEGE", ["Beta College"]),
        ("learn.beta", ["Beta College"]),
    ],
)
def test_the_list_searches_names_slugs_and_domains(console, world, q, expected):
    tenant_add_domain(tenant=world.tenant_b, hostname="learn.beta.example", actor=Actor.cli())
    assert _names(console.get("/console/", {"q": q})) == expected


def test_the_list_filters_by_status(console, world):
    tenant_suspend(tenant=world.tenant_b, actor=Actor.cli())
    assert _names(console.get("/console/", {"status": "suspended"})) == ["Beta College"]
    assert "Beta College" not in _names(console.get("/console/", {"status": "active"}))


def test_the_list_sorts_both_ways(console, world):
    # alpha has three people, beta one.
    assert _names(console.get("/console/", {"sort": "-people"}))[:2] == [
        "Alpha University",
        "Beta College",
    ]
    assert _names(console.get("/console/", {"sort": "people"}))[-2:] == [
        "Beta College",
        "Alpha University",
    ]
    assert _names(console.get("/console/", {"sort": "-name"})) == sorted(
        _names(console.get("/console/", {"sort": "name"})), reverse=True
    )


def test_column_headers_turn_the_sort_round(console, world):
    html = _text(console.get("/console/", {"sort": "people"}))
    assert 'href="?sort=-people"' in html
    assert 'href="?sort=stored"' in html


def test_odd_filters_fall_back_to_defaults_rather_than_fail(console, world):
    response = console.get(
        "/console/", {"sort": "bogus", "status": "nope", "limit": "-3", "cursor": "%%%"}
    )
    assert response.status_code == 200
    assert "Alpha University" in _text(response)


def _walk(console, url: str, *, link: str) -> tuple[list[list[str]], str]:
    """The names on each page reached by following ``link`` links; and the last page's URL."""
    pages: list[list[str]] = []
    while True:
        response = console.get(url)
        pages.append(_names(response))
        match = re.search(rf'<a href="([^"]+)" rel="{link}">', _text(response))
        if match is None:
            return pages, url
        url = "/console/" + match.group(1).replace("&amp;", "&")
        assert len(pages) < 20


@pytest.mark.parametrize("sort", ["name", "-created", "people", "-stored", "activity"])
def test_the_list_pages_by_key_through_every_institution_once(console, world, make_tenant, sort):
    for index in range(3):
        tenant = make_tenant(name=f"Paged {index}")
        usage_add(tenant, people=index % 2)  # ties on people, and some last activity
    everything = _names(console.get("/console/", {"sort": sort}))
    assert len(everything) == 5
    pages, _ = _walk(console, f"/console/?sort={sort}&limit=2", link="next")
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [name for page in pages for name in page] == everything


def test_previous_links_walk_back_through_the_same_pages(console, world, make_tenant):
    for index in range(3):
        make_tenant(name=f"Paged {index}")
    forward, last = _walk(console, "/console/?sort=-name&limit=2", link="next")
    backward, first = _walk(console, last, link="prev")
    assert backward == list(reversed(forward))
    assert "cursor=" in first  # the first page reached backwards, by key


@pytest.mark.parametrize("limit", [1, 200])
def test_a_page_of_institutions_costs_a_bounded_number_of_queries(
    console, world, make_tenant, django_assert_max_num_queries, limit
):
    for index in range(4):
        tenant = make_tenant(name=f"Counted {index}")
        tenant_add_domain(tenant=tenant, hostname=f"c{index}.example.org", actor=Actor.cli())
    # Session, user, the page, its domains, the total.
    with django_assert_max_num_queries(6):
        response = console.get("/console/", {"limit": limit, "q": "o", "sort": "-activity"})
    assert response.status_code == 200


# --- creating an institution ----------------------------------------------------------------
def test_the_new_institution_form_has_labels(console):
    html = _text(console.get("/console/new"))
    assert '<label for="id_slug"' in html and '<label for="id_name"' in html


def test_creating_an_institution_makes_it_routable_and_audited(console, platform_admin):
    slug = unique_slug("new")
    response = console.post("/console/new", {"slug": slug, "name": "  New   Institute "})
    assert response.status_code == 302
    assert response["Location"] == f"/console/t/{slug}/"
    tenant = Tenant.objects.get(slug=slug)
    assert tenant.name == "New Institute"
    assert _institution(f"{slug}.{settings.PLATFORM_DOMAIN}") == 200
    entry = AuditEntry.objects.get(verb="tenant.created", target=slug)
    assert (entry.actor_kind, entry.actor) == ("admin", platform_admin.public_id)
    assert entry.ip == "127.0.0.1"
    assert "is ready at" in _text(console.get(response["Location"]))


@pytest.mark.parametrize(
    ("slug", "name", "message"),
    [
        ("", "Nameless", "Choose a slug"),
        ("Bad Slug!", "X", "lower-case letters"),
        ("-dash", "X", "lower-case letters"),
        ("www", "X", "is reserved"),
        ("alpha", "Another Alpha", "already taken"),
        ("fine-slug", "   ", "needs a name"),
    ],
)
def test_bad_input_for_a_new_institution_is_refused(console, world, slug, name, message):
    before = (Tenant.objects.count(), AuditEntry.objects.count())
    response = console.post("/console/new", {"slug": slug, "name": name})
    assert response.status_code == 400
    assert message in _text(response).replace("&#x27;", "'")
    assert (Tenant.objects.count(), AuditEntry.objects.count()) == before


def test_a_host_name_taken_meanwhile_is_a_clear_conflict_not_a_500(console, world):
    slug = unique_slug("clash")
    Domain.objects.create(domain=f"{slug}.{settings.PLATFORM_DOMAIN}", tenant=world.tenant_a)
    response = console.post("/console/new", {"slug": slug, "name": "Clash"})
    assert response.status_code == 409
    assert "was just taken" in _text(response)
    assert not Tenant.objects.filter(slug=slug).exists()


# --- one institution ------------------------------------------------------------------------
def test_the_detail_page_shows_usage_quotas_domains_and_history(console, world):
    usage_add(world.tenant_a, bytes_stored=2048)
    console.post("/console/t/alpha/quotas", {"quota_people": "10", "quota_storage_bytes": ""})
    response = console.get("/console/t/alpha/")
    html = _text(response)
    assert response.status_code == 200
    assert "Alpha University" in html and "Active" in html
    assert "3 of 10" in html  # people of the quota
    assert "2.0\xa0KB" in html and "(no limit)" in html
    assert f"alpha.{settings.PLATFORM_DOMAIN}" in html
    assert "tenant.updated" in html and "root" in html  # who did it, by username


def test_an_unknown_institution_is_a_404_page(console):
    response = console.get("/console/t/no-such-place/")
    assert response.status_code == 404
    assert "Page not found" in _text(response)
    assert console.post("/console/t/no-such-place/suspend").status_code == 404


@pytest.mark.parametrize("action", ["suspend", "resume", "delete", "restore", "quotas", "name"])
def test_actions_are_posts(console, world, action):
    assert console.get(f"/console/t/alpha/{action}").status_code == 405


def test_suspending_makes_the_institution_read_only_and_resuming_lifts_it(console, world, client_a):
    response = console.post("/console/t/alpha/suspend")
    assert response.status_code == 302
    assert "is suspended" in _text(console.get(response["Location"]))
    assert _status_of("alpha") == TenantStatus.SUSPENDED
    assert client_a.post("/api/v1/me").status_code == 423
    assert client_a.get("/api/v1/institution").status_code == 200  # reads still served
    console.post("/console/t/alpha/resume")
    assert _status_of("alpha") == TenantStatus.ACTIVE
    assert client_a.post("/api/v1/me").status_code != 423
    verbs = list(AuditEntry.objects.filter(target="alpha").values_list("verb", flat=True))
    assert verbs[:2] == ["tenant.resumed", "tenant.suspended"]


def test_deleting_needs_the_slug_typed_to_confirm(console, world):
    response = console.post("/console/t/alpha/delete", {"confirm": "alfa"})
    assert response.status_code == 400
    assert "Type &#x27;alpha&#x27; exactly" in _text(response)
    assert _status_of("alpha") == TenantStatus.ACTIVE
    assert _institution(world.host_a) == 200


def test_deleting_takes_the_hosts_offline_at_once_and_restoring_brings_them_back(console, world):
    page = _text(console.get("/console/t/alpha/"))
    assert "answer\n    404" in page or "answer 404" in page.replace("\n    ", " ")
    assert f"{settings.TENANT_DELETE_GRACE_DAYS} days" in page
    response = console.post("/console/t/alpha/delete", {"confirm": "alpha"})
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="alpha")
    assert tenant.status == TenantStatus.DELETING and tenant.purge_after is not None
    assert _institution(world.host_a) == 404
    page = _text(console.get("/console/t/alpha/"))
    assert "answer 404 from now on" in page and "Restore Alpha University" in page
    console.post("/console/t/alpha/restore")
    assert _status_of("alpha") == TenantStatus.ACTIVE
    assert _institution(world.host_a) == 200


def test_restoring_returns_a_suspended_institution_to_suspended(console, world):
    tenant_suspend(tenant=world.tenant_b, actor=Actor.cli())
    tenant_delete(tenant=world.tenant_b, actor=Actor.cli())
    console.post("/console/t/beta/restore")
    assert _status_of("beta") == TenantStatus.SUSPENDED


def test_an_action_the_state_forbids_is_explained_and_changes_nothing(console, world):
    tenant_delete(tenant=world.tenant_b, actor=Actor.cli())
    response = console.post("/console/t/beta/suspend")
    assert response.status_code == 400
    assert "cannot be suspended; restore it first" in _text(response)
    assert _status_of("beta") == TenantStatus.DELETING
    response = console.post("/console/t/alpha/restore")
    assert response.status_code == 400
    assert "Only a deleted institution can be restored" in _text(response)


def test_a_custom_domain_routes_once_added_and_stops_once_removed(console, world):
    response = console.post("/console/t/alpha/domains/add", {"hostname": "Learn.Alpha.Example"})
    assert response.status_code == 302
    assert _institution("learn.alpha.example") == 200
    response = console.post("/console/t/alpha/domains/remove", {"hostname": "learn.alpha.example"})
    assert response.status_code == 302
    assert _institution("learn.alpha.example") == 404


@pytest.mark.parametrize(
    ("hostname", "message"),
    [
        ("not a host", "is not a valid host name"),
        ("", "This field is required"),
        ("x.localhost", "are the platform"),
        ("beta.localhost", "are the platform"),
    ],
)
def test_a_bad_custom_domain_is_refused(console, world, hostname, message):
    before = Domain.objects.count()
    response = console.post("/console/t/alpha/domains/add", {"hostname": hostname})
    assert response.status_code == 400
    assert message in _text(response).replace("&#x27;", "'")
    assert Domain.objects.count() == before


def test_a_domain_in_use_elsewhere_is_refused(console, world):
    tenant_add_domain(tenant=world.tenant_b, hostname="shared.example.org", actor=Actor.cli())
    response = console.post("/console/t/alpha/domains/add", {"hostname": "shared.example.org"})
    assert response.status_code == 400
    assert "already in use" in _text(response)
    assert Domain.objects.get(domain="shared.example.org").tenant_id == world.tenant_b.pk


@pytest.mark.parametrize(
    ("hostname", "message"),
    [(f"alpha.{settings.PLATFORM_DOMAIN}", "cannot be removed"), ("nowhere.example", "no domain")],
)
def test_removing_the_subdomain_or_an_unknown_domain_is_refused(console, world, hostname, message):
    response = console.post("/console/t/alpha/domains/remove", {"hostname": hostname})
    assert response.status_code == 400
    assert message in _text(response)
    assert _institution(world.host_a) == 200


@pytest.mark.parametrize(
    ("people", "storage", "expected"),
    [
        ("10", "20 GB", (10, 20 * 1024**3)),
        ("0", "1048576", (0, 1048576)),
        ("", "1.5 KiB", (None, 1536)),
        ("", "", (None, None)),
    ],
)
def test_quotas_are_set_and_lifted(console, world, people, storage, expected):
    response = console.post(
        "/console/t/alpha/quotas", {"quota_people": people, "quota_storage_bytes": storage}
    )
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="alpha")
    assert (tenant.quota_people, tenant.quota_storage_bytes) == expected


@pytest.mark.parametrize(
    ("people", "storage", "message"),
    [
        ("-1", "", "greater than or equal to 0"),
        ("many", "", "Enter a whole number"),
        ("99999999999", "", "less than or equal to"),
        ("", "lots", "a size such as 500 MB"),
        ("", "-5 GB", "a size such as 500 MB"),
        ("", "99999999 TB", "more storage than a quota can hold"),
    ],
)
def test_bad_quotas_are_refused(console, world, people, storage, message):
    response = console.post(
        "/console/t/alpha/quotas", {"quota_people": people, "quota_storage_bytes": storage}
    )
    assert response.status_code == 400
    assert message in _text(response)
    tenant = Tenant.objects.get(slug="alpha")
    assert (tenant.quota_people, tenant.quota_storage_bytes) == (None, None)


def test_renaming_and_refusing_an_empty_name(console, world):
    assert console.post("/console/t/alpha/name", {"name": "Alpha Uni"}).status_code == 302
    assert Tenant.objects.get(slug="alpha").name == "Alpha Uni"
    response = console.post("/console/t/alpha/name", {"name": "  "})
    assert response.status_code == 400
    assert "needs a name" in _text(response)
    assert Tenant.objects.get(slug="alpha").name == "Alpha Uni"


# --- the audit log --------------------------------------------------------------------------
def test_the_audit_log_says_who_did_what_to_which_institution_from_where(console, world):
    console.post("/console/t/beta/suspend", REMOTE_ADDR="203.0.113.9")
    html = _text(console.get("/console/audit/"))
    assert "tenant.suspended" in html
    assert "root" in html and "(admin)" in html
    assert "203.0.113.9" in html
    assert 'href="/console/audit/?target=beta"' in html


def test_the_audit_log_filters_by_institution(console, world):
    tenant_suspend(tenant=world.tenant_a, actor=Actor.cli())
    tenant_suspend(tenant=world.tenant_b, actor=Actor.cli())
    html = _text(console.get("/console/audit/", {"target": "beta"}))
    assert ">beta</a>" in html and ">alpha</a>" not in html


def test_the_audit_log_pages_by_key(console, world, django_assert_max_num_queries):
    for index in range(120):
        audit_record(actor=Actor.system("tests"), verb="test.paged", target=f"t{index:03}")
    seen: list[str] = []
    url = "/console/audit/?verb=test.paged"
    while url:
        with django_assert_max_num_queries(5):
            html = _text(console.get(url))
        seen += re.findall(r">(t\d{3})</a>", html)
        match = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = "/console/audit/" + match.group(1).replace("&amp;", "&") if match else None
    assert seen == [f"t{index:03}" for index in reversed(range(120))]


# --- API tokens -----------------------------------------------------------------------------
def test_an_admin_creates_a_token_sees_it_once_and_revokes_it(console, platform_admin):
    response = console.post("/console/tokens/", {"name": "script", "expires_in_days": "30"})
    assert response.status_code == 201
    secret = re.search(r'<code id="secret">([^<]+)</code>', _text(response)).group(1)
    api = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/platform/tenants/").status_code == 200
    listing = _text(console.get("/console/tokens/"))
    assert "script" in listing and secret not in listing
    token_id = platform_admin.access_tokens.get().public_id
    assert console.post(f"/console/tokens/{token_id}/revoke").status_code == 302
    assert api.get("/api/v1/platform/tenants/").status_code == 401


def test_a_token_needs_a_name(console, platform_admin):
    response = console.post("/console/tokens/", {"name": "", "expires_in_days": ""})
    assert response.status_code == 400
    assert not platform_admin.access_tokens.exists()


def test_an_admin_cannot_revoke_another_admins_token(console, db):
    from tenant_apps.people.services import token_create, user_create

    other = user_create(username="other", is_admin=True)
    token, _ = token_create(user=other, name="theirs")
    assert console.post(f"/console/tokens/{token.public_id}/revoke").status_code == 404
    token.refresh_from_db()
    assert token.revoked is None


def test_a_forged_cursor_with_a_nul_is_not_a_500(console, world):
    from config.keyset import cursor_encode

    response = console.get("/console/", {"cursor": cursor_encode("a\x00", 1)})
    assert response.status_code == 200
    assert console.get("/console/", {"q": "a\x00"}).status_code == 400  # config.malformed
    response = console.post("/console/t/alpha/domains/remove", {"hostname": "a\x00.example"})
    assert response.status_code == 400


def test_a_stale_institution_template_is_explained_not_a_500(console, monkeypatch):
    from tenants.provisioning import TemplateStale

    def stale(**kwargs):
        raise TemplateStale("run `manage.py migrate_tenants` to refresh it")

    monkeypatch.setattr("shared_apps.console.views.tenant_create", stale)
    response = console.post("/console/new", {"slug": unique_slug(), "name": "Later"})
    assert response.status_code == 503
    assert "migrate_tenants" in _text(response)
