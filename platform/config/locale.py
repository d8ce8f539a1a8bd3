"""Which language and time zone a request, an e-mail or a task speaks.

The language is, in order: the person's own choice (their profile's ``language``), else
their institution's default (``Tenant.language``, set by its admins on /manage/), else
the browser's ``Accept-Language`` (or the ``django_language`` cookie the language picker
sets). Under ``/api/`` an explicit ``Accept-Language`` naming a language we have comes
first: an API client says per request what it wants its error texts in.

The time zone is the person's (``time_zone``), else the institution's, else UTC. Dates
are stored in UTC; pages show them in the active zone; the API answers ISO 8601 in UTC.

This module reads duck-typed attributes (``language``, ``time_zone``) of the user and
the tenant, so ``config`` stays below the apps that define them.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from config.redirects import local_target


def supported_language(code: str | None) -> str | None:
    """``code`` as one of settings.LANGUAGES (``es-mx`` -> ``es``), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def language_choices() -> list[tuple[str, str]]:
    """The languages a person or an institution can choose, each named in itself."""
    return list(settings.LANGUAGES)


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA time zone (``Europe/Madrid``), UTC first."""
    names = sorted(name for name in time_zone_names() if "/" in name and "Etc/" not in name)
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


def valid_time_zone(name: str | None) -> str | None:
    """``name`` if it is an IANA time zone, else None."""
    if name and name in time_zone_names():
        return name
    return None


def language_for(user=None, tenant=None, *, fallback: str | None = None) -> str:
    """The language to speak to ``user`` (their choice, else the institution's default,
    else ``fallback``, else the site's default). For e-mails and tasks."""
    for code in (
        getattr(user, "language", None),
        getattr(tenant, "language", None),
        fallback,
    ):
        language = supported_language(code)
        if language:
            return language
    return settings.LANGUAGE_CODE


def time_zone_for(user=None, tenant=None) -> zoneinfo.ZoneInfo:
    """The time zone to show ``user`` dates in (theirs, else the institution's, else UTC)."""
    for name in (getattr(user, "time_zone", None), getattr(tenant, "time_zone", None)):
        if valid_time_zone(name):
            return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@contextmanager
def person_locale(user=None, tenant=None, *, fallback: str | None = None) -> Iterator[None]:
    """Speak to ``user`` in their language and time zone, whoever the current request is
    for: an e-mail goes out in its recipient's language, not its sender's. ``tenant``
    defaults to the connection's institution; ``fallback`` (say, the current request's
    language) is used when neither the person nor the institution chose one."""
    if tenant is None:
        tenant = getattr(connection, "tenant", None)
    with (
        translation.override(language_for(user, tenant, fallback=fallback)),
        timezone.override(time_zone_for(user, tenant)),
    ):
        yield


def _accept_language(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in translation.trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        language = supported_language(code)
        if language:
            return language
    return None


def request_language(request: HttpRequest) -> str:
    """The language of this request (see the module's docstring for the order)."""
    if request.path.startswith("/api/"):
        language = _accept_language(request)
        if language:
            return language
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        language = supported_language(getattr(user, "language", None))
        if language:
            return language
    language = supported_language(getattr(getattr(request, "tenant", None), "language", None))
    if language:
        return language
    return translation.get_language_from_request(request, check_path=False)


def request_time_zone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    return time_zone_for(user, getattr(request, "tenant", None))


class LanguageMiddleware:
    """Activates the request's language and time zone (after authentication).

    Responses say which language they are in (``Content-Language``) and that they vary
    with ``Accept-Language``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        if not request.path.startswith("/api/"):
            # The API answers ISO 8601 in UTC for everyone; pages in the reader's zone.
            timezone.activate(request_time_zone(request))
        try:
            response = self.get_response(request)
        finally:
            # Nothing of this request's language leaks into the thread's next work.
            timezone.deactivate()
            translation.deactivate()
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


def language_choose(request: HttpRequest) -> HttpResponse:
    """The visitors' language picker: ``GET /language?language=es&next=/signin`` remembers
    the choice in the language cookie and goes back. A plain link, without a form or a
    CSRF token, so every visitor's page stays the same bytes; a person who is signed in
    chooses on their profile (their choice comes first anyway)."""
    language = supported_language(request.GET.get("language"))
    response = HttpResponseRedirect(local_target(request, request.GET.get("next")))
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE or request.is_secure(),
            httponly=True,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
        )
    return response


# --- remembering translations -----------------------------------------------------------
# Django looks a message up through every catalog of the language and then its fallbacks
# (English: 5 catalogs and a fallback; German: 7, then English's, then 4 more); a message
# with no translation - every English one - walks the whole chain, each step trying the
# message and its plural form. About 40 us a lookup on the bench machine, and an item page
# looks up 280 ({% translate %} and the forms' labels): a quarter of its time. A catalog
# never changes once loaded (a reload builds new translation objects: Django's
# setting_changed and autoreload handlers empty its cache), so each translation object
# remembers its answers.
TRANSLATIONS_REMEMBERED = 20_000  # per language: bounds memory if gettext sees made-up text


def remember_translations() -> None:
    """Make each of Django's translation objects remember its ``gettext`` answers (once)."""
    from django.utils.translation.trans_real import DjangoTranslation

    if getattr(DjangoTranslation, "_oae_remembers", False):
        return
    looked_up = DjangoTranslation.gettext

    def gettext(self, message: str) -> str:
        memo = self.__dict__.get("_oae_memo")
        if memo is None:
            memo = self.__dict__.setdefault("_oae_memo", {})
        found = memo.get(message)
        if found is not None:
            return found
        found = looked_up(self, message)
        if len(memo) < TRANSLATIONS_REMEMBERED:
            memo[message] = found
        return found

    DjangoTranslation.gettext = gettext
    DjangoTranslation._oae_remembers = True
