"""The console's forms: sizes with units, and the sign-in form's refusal of non-admins."""

from __future__ import annotations

import pytest

from shared_apps.console.forms import parse_size


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("0", 0),
        ("1048576", 1048576),
        ("512 bytes", 512),
        ("1 KB", 1024),
        ("1.5 KiB", 1536),
        ("500mb", 500 * 1024**2),
        ("20 GB", 20 * 1024**3),
        (" 2 TiB ", 2 * 1024**4),
    ],
)
def test_sizes_are_read_in_bytes_with_binary_units(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "-1", "1e9", "5 PB", "1,000", "GB"])
def test_anything_else_is_not_a_size(text):
    with pytest.raises(ValueError):
        parse_size(text)
