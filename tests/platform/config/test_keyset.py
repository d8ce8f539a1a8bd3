"""Cursors of the console's keyset pagination: round trips, and forgeries ignored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config.keyset import cursor_decode, cursor_encode


@pytest.mark.parametrize(
    ("value", "kind"),
    [("Alpha University", "str"), (42, "int"), (datetime(2026, 1, 2, 3, 4, 5, 6, UTC), "datetime")],
)
def test_a_cursor_round_trips(value, kind):
    assert cursor_decode(cursor_encode(value, 7), kind) == (value, 7, False)
    assert cursor_decode(cursor_encode(value, 7, backwards=True), kind) == (value, 7, True)


@pytest.mark.parametrize(
    ("cursor", "kind"),
    [
        ("%%%", "str"),
        ("", "str"),
        ("bm90IGpzb24", "str"),  # "not json"
        (cursor_encode("a\x00b", 1), "str"),  # PostgreSQL refuses NUL
        (cursor_encode("text", 1), "int"),  # a cursor of another sort
        (cursor_encode(True, 1), "int"),
        (cursor_encode("yesterday", 1), "datetime"),
        (cursor_encode("x", "1"), "str"),
    ],
)
def test_a_forged_or_foreign_cursor_is_ignored(cursor, kind):
    assert cursor_decode(cursor, kind) is None


def test_a_naive_time_in_a_cursor_is_read_as_utc():
    value, _, _ = cursor_decode(cursor_encode("2026-01-02T03:04:05", 1), "datetime")
    assert value == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cursor", "kind"),
    [
        (cursor_encode("x", 2**63), "str"),  # past PostgreSQL's bigint
        (cursor_encode("x", -(2**63) - 1), "str"),
        (cursor_encode(2**63, 1), "int"),
    ],
)
def test_a_cursor_whose_numbers_do_not_fit_a_bigint_is_ignored(cursor, kind):
    assert cursor_decode(cursor, kind) is None
    assert cursor_decode(cursor_encode(2**63 - 1, 2**63 - 1), "int") is not None
