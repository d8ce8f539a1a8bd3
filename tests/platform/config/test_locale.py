"""The language and time zone of a page, an API answer and an e-mail (config.locale).

The order is the person's choice, else the institution's default, else the browser's
Accept-Language; under /api/ an explicit Accept-Language comes first.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime

import pytest
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from config.locale import language_for, person_locale, time_zone_for
from shared_apps.audit.services import Actor
from tenant_apps.people.models import User
from tenant_apps.people.services import profile_update
from tenants.models import Tenant
from tenants.services import tenant_locale_set
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

ACTOR = Actor(kind="platform", name="test")


def _lang(response) -> str:
    match = re.search(rb'<html lang="([^"]+)" dir="(\w+)"', response.content)
    assert match, response.content[:300]
    return match.group(1).decode()


def _set_institution(world, *, language: str = "", time_zone: str = "UTC") -> None:
    tenant_locale_set(tenant=world.tenant_a, actor=ACTOR, language=language, time_zone=time_zone)


def _set_person(world, user: User, **changes) -> None:
    with schema_context(world.tenant_a.schema_name):
        person = User.objects.get(pk=user.pk)
        profile_update(actor=person, person=person, **changes)


def test_the_browsers_language_when_nobody_chose_one(client_a):
    assert _lang(client_a.get("/signin", HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9")) == "de"
    assert _lang(client_a.get("/signin", HTTP_ACCEPT_LANGUAGE="es-MX")) == "es"
    assert _lang(client_a.get("/signin", HTTP_ACCEPT_LANGUAGE="fi, ja")) == "en-gb"


def test_the_institutions_default_beats_the_browsers(client_a, world):
    _set_institution(world, language="es")
    response = client_a.get("/signin", HTTP_ACCEPT_LANGUAGE="de")
    assert _lang(response) == "es"
    assert response["Content-Language"] == "es"
    assert "Accept-Language" in response["Vary"]


def test_a_persons_choice_beats_the_institutions_and_the_browsers(client_a, world):
    _set_institution(world, language="es")
    _set_person(world, world.alice, language="de")
    sign_in(client_a, world.alice, world.tenant_a)
    assert _lang(client_a.get("/", HTTP_ACCEPT_LANGUAGE="es")) == "de"
    # Bob chose nothing: the institution's default.
    sign_in(client_a, world.bob, world.tenant_a)
    assert _lang(client_a.get("/", HTTP_ACCEPT_LANGUAGE="de")) == "es"


def test_an_api_clients_accept_language_comes_first_for_problem_texts(client_a, world, bearer):
    _set_person(world, world.alice, language="de")
    headers = bearer(world.alice)
    spanish = client_a.get("/api/v1/people/u_nobody", HTTP_ACCEPT_LANGUAGE="es", **headers)
    assert spanish.status_code == 404
    assert spanish["Content-Language"] == "es"
    assert spanish.json()["title"] == "No encontrado"
    german = client_a.get("/api/v1/people/u_nobody", HTTP_ACCEPT_LANGUAGE="de", **headers)
    assert german.json()["title"] == "Nicht gefunden"
    english = client_a.get("/api/v1/people/u_nobody", **headers)
    assert english.json()["title"] == "Not found"


def test_a_person_chooses_language_and_time_zone_on_their_profile(client_a, world):
    sign_in(client_a, world.alice, world.tenant_a)
    page = client_a.get("/me/edit")
    assert b'name="language"' in page.content and b'name="time_zone"' in page.content
    saved = client_a.post(
        "/me/edit",
        {
            "display_name": "Alice Archer",
            "display_name_visibility": "loggedin",
            "department_visibility": "loggedin",
            "role_visibility": "loggedin",
            "biography_visibility": "loggedin",
            "listed_in_directory": "on",
            "language": "es",
            "time_zone": "America/Bogota",
        },
    )
    assert saved.status_code == 302
    with schema_context(world.tenant_a.schema_name):
        alice = User.objects.get(pk=world.alice.pk)
    assert (alice.language, alice.time_zone) == ("es", "America/Bogota")
    assert _lang(client_a.get("/me/edit", HTTP_ACCEPT_LANGUAGE="de")) == "es"


def test_a_bad_language_or_time_zone_is_refused_by_field(client_a, world):
    sign_in(client_a, world.alice, world.tenant_a)
    response = client_a.patch(
        "/api/v1/me",
        {"language": "xx", "time_zone": "Mars/Olympus"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"language"}
    response = client_a.patch(
        "/api/v1/me", {"time_zone": "Mars/Olympus"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"time_zone"}
    with schema_context(world.tenant_a.schema_name):
        assert User.objects.get(pk=world.alice.pk).time_zone == ""


def test_admins_set_the_institutions_defaults(client_a, world):
    sign_in(client_a, world.admin_a, world.tenant_a)
    page = client_a.get("/manage/institution")
    assert b'name="language"' in page.content
    response = client_a.post(
        "/manage/institution",
        {
            "name": "Alpha University",
            "primary_colour": "#1f4e8c",
            "default_visibility": "loggedin",
            "language": "de",
            "time_zone": "Europe/Berlin",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    tenant = Tenant.objects.get(pk=world.tenant_a.pk)
    assert (tenant.language, tenant.time_zone) == ("de", "Europe/Berlin")
    bad = client_a.post(
        "/manage/institution",
        {
            "name": "Alpha University",
            "primary_colour": "#1f4e8c",
            "default_visibility": "loggedin",
            "time_zone": "Nowhere/Atlantis",
        },
    )
    assert bad.status_code == 400
    assert Tenant.objects.get(pk=world.tenant_a.pk).time_zone == "Europe/Berlin"


def test_pages_activate_the_persons_time_zone_else_the_institutions(client_a, world):
    _set_institution(world, time_zone="Europe/Berlin")
    tenant = Tenant.objects.get(pk=world.tenant_a.pk)
    assert time_zone_for(None, tenant) == zoneinfo.ZoneInfo("Europe/Berlin")
    with schema_context(world.tenant_a.schema_name):
        alice = User.objects.get(pk=world.alice.pk)
    assert time_zone_for(alice, tenant) == zoneinfo.ZoneInfo("Europe/Berlin")
    alice.time_zone = "Asia/Tokyo"
    assert time_zone_for(alice, tenant) == zoneinfo.ZoneInfo("Asia/Tokyo")
    moment = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    with person_locale(alice, tenant):
        assert timezone.localtime(moment).hour == 21
    assert timezone.get_current_timezone_name() == "UTC"


def test_an_email_speaks_the_recipients_language_not_the_senders(world):
    _set_institution(world, language="de")
    tenant = Tenant.objects.get(pk=world.tenant_a.pk)
    with schema_context(world.tenant_a.schema_name):
        alice = User.objects.get(pk=world.alice.pk)
    with translation.override("es"):  # the sender's request
        assert language_for(alice, tenant) == "de"
        alice.language = "es"
        assert language_for(alice, tenant) == "es"
        alice.language = ""
        assert language_for(alice, None, fallback="es") == "es"
    assert language_for(None, None) == "en-gb"
