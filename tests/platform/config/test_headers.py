"""Security headers on every answer; no inline script on any page; no-store when signed in."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import sign_in
from tests.crawl import crawl

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def _has_security_headers(response) -> None:
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline' " not in policy.split("style-src")[0]
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("alpha.localhost", "/"),
        ("alpha.localhost", "/signin"),
        ("alpha.localhost", "/api/v1/institution"),
        ("alpha.localhost", "/no-such-page"),
        ("no-such-institution.localhost", "/"),  # the unknown-host page
        ("alpha.localhost", "/__lbheartbeat__"),
        ("alpha.localhost", "/__version__"),
        ("localhost", "/"),
        ("localhost", "/console/login"),
    ],
)
def test_every_answer_carries_the_security_headers(world, host, path):
    response = Client(HTTP_HOST=host).get(path)
    _has_security_headers(response)


def test_no_page_has_an_inline_script(world):
    member = sign_in(Client(HTTP_HOST=world.host_a), world.admin_a, world.tenant_a)
    pages = crawl(member, ["/", "/people/", "/groups/", "/content/", "/manage/", "/api/docs/"])
    anonymous = crawl(Client(HTTP_HOST=world.host_a), ["/", "/signin", "/register"], limit=10)
    platform = crawl(Client(HTTP_HOST=settings.PLATFORM_DOMAIN), ["/", "/signup/"], limit=10)
    assert len(pages) > 20
    for path, body in {**pages, **anonymous, **platform}.items():
        assert not INLINE_SCRIPT.search(body), path
        assert not INLINE_HANDLER.search(body), path


def test_the_api_docs_load_their_start_up_script_as_a_file(world):
    member = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    page = member.get("/api/docs/")
    assert page.status_code == 200
    script = member.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_signed_in_answers_are_not_stored_by_caches(world):
    member = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    for path in ("/api/v1/me", "/people/", f"/people/{world.bob.public_id}", "/"):
        response = member.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path


def test_bearer_token_answers_are_not_stored_by_caches(world):
    from django_tenants.utils import schema_context

    from tenant_apps.people.services import token_create

    with schema_context(world.tenant_a.schema_name):
        raw = token_create(user=world.alice, name="t")[1]
    response = Client(HTTP_HOST=world.host_a).get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_a_revalidation_keeps_the_cached_representations_own_caching(world):
    import io

    from django_tenants.utils import schema_context

    from tenant_apps.groups.services import group_create, group_picture_set
    from tests.tenant_apps.content.conftest import png_bytes

    with schema_context(world.tenant_a.schema_name):
        group = group_create(actor=world.alice, title="Cached")
        group_picture_set(actor=world.alice, group=group, source=io.BytesIO(png_bytes()))
    member = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    first = member.get(f"/groups/{group.public_id}/picture")
    again = member.get(f"/groups/{group.public_id}/picture", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert "no-store" not in again.get("Cache-Control", "")
