"""The institution's colour, applied so that text on it stays readable (WCAG 2.1 AA).

The header and the primary buttons are painted in the brand colour; their text is white or
black, whichever contrasts more. One of the two always reaches 4.58:1 or more (AA for normal
text is 4.5:1) for any colour, so no colour has to be refused: ``brand_ink`` says which.
(Near-black #111 would not do: #007bc8 reaches only 4.49:1 with either; a property test
over every colour holds this.)
"""

from __future__ import annotations

import re

WHITE = "#ffffff"
INK_DARK = "#000000"
AA_NORMAL_TEXT = 4.5
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#rrggbb`` (ValueError for anything else)."""
    if not _HEX.match(colour or ""):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    channels = []
    for start in (1, 3, 5):
        value = int(colour[start : start + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def brand_ink(colour: str) -> str:
    """White or black: the text colour that contrasts more with ``colour``."""
    return max((WHITE, INK_DARK), key=lambda ink: contrast_ratio(colour, ink))


def theme_css(colour: str) -> str:
    """The stylesheet of an institution's colours (served as /theme.css, no inline style)."""
    if not _HEX.match(colour or ""):
        colour = "#1f4e8c"
    colour = colour.lower()
    return f":root{{--brand:{colour};--brand-ink:{brand_ink(colour)}}}\n"
