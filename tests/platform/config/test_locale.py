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


# --- each of the three languages: a page, a form error, an API problem, an e-mail ---------
LANGUAGES = {
    "en-gb": {
        "signin": "Sign in to Alpha University",
        "form_error": "A display name cannot be empty.",
        "invalid": "The request has invalid fields",
        "field_error": "is not a valid choice",
        "invitation": "You are invited to Alpha University",
        "invitation_body": "Choose your password here",
    },
    "es": {
        "signin": "Inicia sesión en Alpha University",
        "form_error": "El nombre visible no puede estar vacío.",
        "invalid": "La solicitud tiene campos no válidos",
        "field_error": "no es una elección válida",
        "invitation": "Te han invitado a Alpha University",
        "invitation_body": "Elige tu contraseña aquí",
    },
    "de": {
        "signin": "Bei Alpha University anmelden",
        "form_error": "Der angezeigte Name darf nicht leer sein.",
        "invalid": "Die Anfrage enthält ungültige Felder",
        "field_error": "ist keine gültige Option",
        "invitation": "Sie sind zu Alpha University eingeladen",
        "invitation_body": "Wählen Sie hier Ihr Passwort",
    },
}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_page_in_each_language(client_a, language):
    response = client_a.get("/signin", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert LANGUAGES[language]["signin"] in response.content.decode()


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_form_error_in_the_persons_language(client_a, world, language):
    _set_person(world, world.alice, language=language if language != "en-gb" else "")
    sign_in(client_a, world.alice, world.tenant_a)
    response = client_a.post(
        "/me/edit",
        {
            "display_name": "   ",
            "display_name_visibility": "loggedin",
            "department_visibility": "loggedin",
            "role_visibility": "loggedin",
            "biography_visibility": "loggedin",
        },
    )
    assert response.status_code == 400
    assert LANGUAGES[language]["form_error"] in response.content.decode()


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_an_api_problem_in_the_requested_language(client_a, world, bearer, language):
    response = client_a.patch(
        "/api/v1/me",
        {"display_name_visibility": "everybody"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
        **bearer(world.alice),
    )
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == LANGUAGES[language]["invalid"]
    assert LANGUAGES[language]["field_error"] in body["errors"]["display_name_visibility"][0]
    assert body["type"].endswith("/validation-error")  # the type stays a stable identifier


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_an_invitation_goes_out_in_the_institutions_language_not_the_admins(
    client_a, world, bearer, mailoutbox, django_capture_on_commit_callbacks, language
):
    _set_institution(world, language=language if language != "en-gb" else "")
    admin_speaks = "de" if language != "de" else "es"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            "/api/v1/admin/people/",
            {"email": "dora@example.edu", "display_name": "Dora Diaz"},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=admin_speaks,
            **bearer(world.admin_a),
        )
    assert response.status_code == 201
    (mail,) = mailoutbox
    assert mail.subject == LANGUAGES[language]["invitation"]
    assert LANGUAGES[language]["invitation_body"] in mail.body


@pytest.mark.parametrize("language", ["es", "de"])
def test_a_password_reset_mail_speaks_the_persons_language(
    client_a, world, mailoutbox, django_capture_on_commit_callbacks, language
):
    _set_person(world, world.bob, language=language)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            "/password-reset", {"email": "bob@example.edu"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code in (200, 302)
    (mail,) = mailoutbox
    expected = {
        "es": "Tu contraseña de Alpha University",
        "de": "Ihr Passwort für Alpha University",
    }
    assert mail.subject == expected[language]
    assert {"es": "Tu nombre de usuario es: bob", "de": "Ihr Benutzername lautet: bob"}[
        language
    ] in mail.body


def test_dates_are_shown_in_the_persons_time_zone(client_a, world):
    from tenant_apps.content.models import ContentItem
    from tenant_apps.content.services import content_create_document

    with schema_context(world.tenant_a.schema_name):
        item = content_create_document(actor=world.alice, title="Timetable")
        ContentItem.objects.filter(pk=item.pk).update(
            created=datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
        )
    _set_institution(world, time_zone="Europe/Madrid")  # 00:30 on the 16th there
    sign_in(client_a, world.alice, world.tenant_a)
    page = client_a.get(f"/content/{item.public_id}").content.decode()
    assert "16 Jan 2026 00:30" in page
    _set_person(world, world.alice, time_zone="America/New_York")  # 18:30 on the 15th
    page = client_a.get(f"/content/{item.public_id}").content.decode()
    assert "15 Jan 2026 18:30" in page
    # The API keeps ISO 8601 in UTC, whatever the person's zone.
    api = client_a.get(f"/api/v1/content/{item.public_id}").json()
    assert api["created"] == "2026-01-15T23:30:00Z"


def test_months_are_named_in_the_persons_language(client_a, world):
    from tenant_apps.content.models import ContentItem
    from tenant_apps.content.services import content_create_document

    with schema_context(world.tenant_a.schema_name):
        item = content_create_document(actor=world.alice, title="Plan")
        ContentItem.objects.filter(pk=item.pk).update(
            created=datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
        )
    _set_person(world, world.alice, language="de")
    sign_in(client_a, world.alice, world.tenant_a)
    assert "5 Mär 2026" in client_a.get(f"/content/{item.public_id}").content.decode()


def test_a_right_to_left_language_sets_dir_rtl(client_a, settings):
    # No Arabic catalogue yet: the page is in English words, laid out right to left; adding
    # platform/locale/ar/LC_MESSAGES/django.po and ("ar", ...) to LANGUAGES is all it takes.
    settings.LANGUAGES = [*settings.LANGUAGES, ("ar", "العربية")]
    translation.trans_real.get_languages.cache_clear()
    try:
        response = client_a.get("/signin", HTTP_ACCEPT_LANGUAGE="ar")
        assert re.search(rb'<html lang="ar" dir="rtl">', response.content)
        assert _lang(client_a.get("/signin", HTTP_ACCEPT_LANGUAGE="de")) == "de"
        assert b'dir="ltr"' in client_a.get("/signin", HTTP_ACCEPT_LANGUAGE="de").content
    finally:
        translation.trans_real.get_languages.cache_clear()


def test_visitors_choose_a_language_with_the_picker(client_a):
    page = client_a.get("/signin").content.decode()
    assert 'href="/language?language=es&amp;next=/signin"' in page
    response = client_a.get("/language", {"language": "es", "next": "/signin"})
    assert (response.status_code, response["Location"]) == (302, "/signin")
    assert "Iniciar sesión" in client_a.get("/signin", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    # Never off the site, and an unknown language changes nothing.
    away = client_a.get("/language", {"language": "es", "next": "https://evil.example/"})
    assert away["Location"] == "/"
    client_a.get("/language", {"language": "xx"})
    assert "Iniciar sesión" in client_a.get("/signin").content.decode()


def test_admins_set_the_defaults_through_the_api_too(client_a, world, bearer):
    headers = bearer(world.admin_a)
    response = client_a.patch(
        "/api/v1/admin/institution",
        {"language": "es", "time_zone": "Europe/Madrid"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.content
    assert (response.json()["language"], response.json()["time_zone"]) == ("es", "Europe/Madrid")
    assert client_a.get("/api/v1/admin/institution", **headers).json()["language"] == "es"
    bad = client_a.patch(
        "/api/v1/admin/institution",
        {"time_zone": "Europe/Atlantis"},
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"time_zone"}
    # Bob, holding a token, is not an admin: 403, nothing changed.
    refused = client_a.patch(
        "/api/v1/admin/institution",
        {"language": "de"},
        content_type="application/json",
        **bearer(world.bob),
    )
    assert refused.status_code == 403
    assert Tenant.objects.get(pk=world.tenant_a.pk).language == "es"


def test_remembered_translations_answer_each_language_its_own():
    from django.utils.translation import trans_real

    from config import locale

    assert getattr(trans_real.DjangoTranslation, "_oae_remembers", False)  # installed at start
    for _ in range(3):  # the first lookup fills each language's memory, the others read it
        for language, expected in (("de", "Suchen"), ("es", "Buscar"), ("en-gb", "Search")):
            with translation.override(language):
                assert translation.gettext("Search") == expected
                # A context without a translation falls back to the message itself.
                assert translation.pgettext("no such context", "Search") == "Search"
                assert translation.gettext("No such message at all") == "No such message at all"
    with translation.override("de"):
        memo = trans_real._active.value.__dict__["_oae_memo"]
        assert memo["Search"] == "Suchen"
    locale.remember_translations()  # a second call installs nothing twice
    assert trans_real.DjangoTranslation.gettext.__qualname__.startswith("remember_translations")


def test_remembered_translations_are_bounded(monkeypatch):
    from django.utils.translation import trans_real

    from config import locale

    monkeypatch.setattr(locale, "TRANSLATIONS_REMEMBERED", 5)
    with translation.override("es"):
        catalog = trans_real._active.value
        catalog.__dict__.pop("_oae_memo", None)
        for n in range(20):
            assert translation.gettext(f"made-up text {n}") == f"made-up text {n}"
        assert len(catalog.__dict__["_oae_memo"]) == 5
        assert translation.gettext("Search") == "Buscar"  # not remembered, still answered
        catalog.__dict__.pop("_oae_memo", None)
