"""Reads about one's own account: sessions, exports, erasure, the current terms of use."""

from __future__ import annotations

import structlog
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from config.localcache import LocalCache
from tenant_apps.account.models import (
    DataExport,
    ErasureRequest,
    ErasureStatus,
    PrivacySettings,
    SessionRecord,
    TermsAcceptance,
    TermsVersion,
)
from tenant_apps.people.models import User

log = structlog.get_logger(__name__)

TERMS_CACHE_SECONDS = 24 * 3600  # publishing clears it on commit
_NONE = 0  # cached: this institution has published no terms
SESSION_TERMS_KEY = "account_terms_accepted"
# The current number in this process's memory too (per schema), forgotten in every process
# through the local caches' Redis channel when terms are published: an API call or a
# signed-in page then costs no Redis round trip for it either.
terms_number_cache: LocalCache[int] = LocalCache("account-terms-number", max_entries=2_000)
TERMS_NUMBER_KEY = "current"


def terms_cache_key() -> str:
    # The schema is added by the cache's key function; the database's name keeps two
    # databases sharing one Redis (parallel test runs) apart.
    return f"account:terms:{connection.settings_dict.get('NAME', '')}:current"


def sessions_of(user: User) -> QuerySet[SessionRecord]:
    return SessionRecord.objects.filter(user=user).order_by("-created", "-id")


def exports_of(user: User) -> QuerySet[DataExport]:
    return DataExport.objects.filter(user=user).order_by("-created", "-id")


def erasure_scheduled_for(user: User) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(user=user, status=ErasureStatus.SCHEDULED).first()


def privacy_settings() -> PrivacySettings:
    """The institution's erasure policy: its row, or the defaults (one query)."""
    row = (
        PrivacySettings.objects.select_related("content_owner")
        .filter(pk=PrivacySettings.SINGLETON_PK)
        .first()
    )
    return row or PrivacySettings(pk=PrivacySettings.SINGLETON_PK)


def terms_current_number() -> int:
    """The number of the current terms (0: none published). Cached per institution (its
    schema is in the cache key), so a signed-in request costs no query for it; publishing
    clears it on commit. This process keeps a copy too (``terms_number_cache``)."""
    return terms_number_cache.get(TERMS_NUMBER_KEY, _terms_number_shared)


def _terms_number_shared() -> int:
    """The number from the shared (Redis) cache, else from the database (then cached)."""
    try:
        cached = cache.get(terms_cache_key())
    except Exception:
        cached = None
    if cached is not None:
        return int(cached)
    number = TermsVersion.objects.order_by("-number").values_list("number", flat=True).first()
    _cache_number(number or _NONE)
    return number or _NONE


def _cache_number(number: int) -> None:
    try:
        cache.set(terms_cache_key(), number, TERMS_CACHE_SECONDS)
    except Exception:
        log.warning("terms cache not written")


def terms_current() -> TermsVersion | None:
    return TermsVersion.objects.order_by("-number").first()


def terms_versions() -> QuerySet[TermsVersion]:
    return TermsVersion.objects.select_related("published_by").order_by("-number")


def terms_accepted(user: User, number: int) -> bool:
    return TermsAcceptance.objects.filter(user=user, version__number=number).exists()


def terms_pending_for(user, session=None) -> TermsVersion | None:
    """The current terms when ``user`` has not accepted them yet; None otherwise.

    Costs no query when none are published or the session remembers the acceptance;
    one when they are accepted; two more when not (the current version is read again,
    so a cached number that is stale never holds anyone back).
    """
    if not getattr(user, "is_authenticated", False):
        return None
    number = terms_current_number()
    if number == _NONE:
        return None
    if session is not None and session.get(SESSION_TERMS_KEY) == number:
        return None
    if terms_accepted(user, number):
        if session is not None:
            session[SESSION_TERMS_KEY] = number
        return None
    current = terms_current()
    _cache_number(current.number if current else _NONE)
    terms_number_cache.forget(TERMS_NUMBER_KEY)  # read again (from Redis) next time
    if current is None or (current.number != number and terms_accepted(user, current.number)):
        return None
    return current
