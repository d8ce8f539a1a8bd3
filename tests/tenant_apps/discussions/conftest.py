"""Helpers for the discussion tests: the activity fan-out as the worker runs it, clean feeds."""

from __future__ import annotations

from tests.tenant_apps.activity.conftest import (  # noqa: F401 - fixtures
    _forget_cached_counts,
    _no_committed_activities,
)
from tests.tenant_apps.search.conftest import in_a, search_api  # noqa: F401 - fixtures
