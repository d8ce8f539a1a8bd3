"""Cleaning short text that people type (names, titles): one rule, each caller's words."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def one_line(value: str | None, *, empty: str, too_long: str, max_length: int = 200) -> str:
    """``value`` with its whitespace runs made single spaces; ValidationError saying
    ``empty`` when nothing is left, ``too_long`` when longer than ``max_length``."""
    text = " ".join((value or "").split())
    if not text:
        raise ValidationError(empty, code="required")
    if len(text) > max_length:
        raise ValidationError(too_long, code="max_length")
    return text
