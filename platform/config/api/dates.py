"""Dates in API answers as DRF's ``DateTimeField`` writes them, for lists of many rows.

``serializers.DateTimeField().to_representation`` looks the request's time zone up for
every value (``enforce_timezone``: settings, a context-local lookup) before converting
and formatting it; a list of 25 items with two dates each paid that 50 times, about a
tenth of the content list's Python. ``datetimes()`` looks the zone up once and gives a
formatter that writes the same text: ISO 8601 in the current time zone, ``Z`` for UTC.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

# DRF's own formatting, unbound: the current time zone when it runs.
_drf = serializers.DateTimeField().to_representation


def datetimes() -> Callable[[datetime.datetime | None], str | None]:
    """A formatter of datetimes in the time zone current now (the request's), byte for
    byte ``serializers.DateTimeField().to_representation`` while that zone is current."""
    output_format = api_settings.DATETIME_FORMAT
    if not settings.USE_TZ or output_format is None or output_format.lower() != ISO_8601:
        return _drf
    zone = timezone.get_current_timezone()

    def when(value: datetime.datetime | None) -> str | None:
        if not value:
            return None
        if isinstance(value, str) or value.utcoffset() is None:
            return _drf(value)  # text, or a naive datetime: DRF's own way
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return _drf(value)  # DRF's error for a date out of range
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return when
