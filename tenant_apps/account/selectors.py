"""Reads about one's own account: sessions, exports, erasure, the current terms of use."""

from __future__ import annotations

import structlog
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

_NONE = 0  # this institution has published no terms
SESSION_TERMS_KEY = "account_terms_accepted"
_CURRENT = "current"

# The current terms' number is read on every signed-in page (the interstitial): kept per
# process and schema (config.localcache), forgotten in every process when terms are
# published (services.terms_publish), so a warm process asks neither Redis nor PostgreSQL.
terms_number_cache: LocalCache[int] = LocalCache("terms-number", max_entries=10_000)


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
    """The number of the current terms (0: none published): one query on a cold process,
    none on a warm one (per schema); publishing forgets it in every process."""
    return terms_number_cache.get(_CURRENT, _read_terms_number)


def _read_terms_number() -> int:
    number = TermsVersion.objects.order_by("-number").values_list("number", flat=True).first()
    return number or _NONE


def terms_number_changed() -> None:
    """Forget the current schema's cached number here now, everywhere after commit."""
    terms_number_cache.forget_everywhere(_CURRENT)


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
    # The cached number was stale (an invalidation missed): read it again next time.
    terms_number_cache.forget(_CURRENT)
    if current is None or (current.number != number and terms_accepted(user, current.number)):
        return None
    return current
