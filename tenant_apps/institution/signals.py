"""Signals the institution sends to the apps above it (which must not be imported here)."""

from __future__ import annotations

from django.dispatch import Signal

# The institution's text-search language changed (sent after commit; ``schema``).
search_language_changed = Signal()
