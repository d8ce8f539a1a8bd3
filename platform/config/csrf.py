"""CSRF secrets and masks drawn in one read of the system's random source.

Django draws each of a CSRF secret's 32 characters with its own ``secrets.choice`` (one
``os.urandom`` call each), and every page holding a form draws 32 more to mask the token
(a browser without the CSRF cookie yet: 64), then masks with ``str.index`` per character.
About 0.14 ms a cookie-less page on the bench machine, the largest single cost of a
signed-in page's frame after its session. ``fast_csrf_secrets`` replaces
``django.middleware.csrf``'s ``_get_new_csrf_string`` (its one source of secrets and
masks) with the same draw from one ``os.urandom`` read - each byte below 248 (4 x 62)
picks a character by ``byte % 62``, bytes from 248 up are dropped (both by
``bytes.translate``, in C), so every character of the alphabet is exactly as likely as with
``secrets.choice`` (uniform, from the same cryptographic source), same alphabet and length -
and its ``_mask_cipher_secret`` with the same cipher through a table of the alphabet's
positions (Django's ``_unmask_cipher_token`` reads it back: tested). About 9 us in all.
"""

from __future__ import annotations

import os

from django.middleware import csrf
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

_SIZE = len(CSRF_ALLOWED_CHARS)
_LIMIT = 256 - 256 % _SIZE  # bytes from here up would favour the first characters
# Byte -> its character (byte % size), bytes from _LIMIT up dropped: both in C.
_TO_CHARS = bytes(ord(CSRF_ALLOWED_CHARS[byte % _SIZE]) for byte in range(256))
_DROPPED = bytes(range(_LIMIT, 256))
_BYTES_A_DRAW = 48  # 32 characters need about 32 x 256 / 248 = 33 bytes
_POSITION = {char: n for n, char in enumerate(CSRF_ALLOWED_CHARS)}


def new_csrf_string() -> str:
    """A new CSRF secret or mask: ``CSRF_SECRET_LENGTH`` characters of
    ``CSRF_ALLOWED_CHARS``, each uniformly random."""
    drawn = b""
    while len(drawn) < CSRF_SECRET_LENGTH:
        drawn += os.urandom(_BYTES_A_DRAW).translate(_TO_CHARS, _DROPPED)
    return drawn[:CSRF_SECRET_LENGTH].decode("ascii")


def mask_cipher_secret(secret: str) -> str:
    """Django's masked token of ``secret``: a new mask, then each secret character shifted
    by the mask's character at its place (positions in the alphabet, modulo its size)."""
    mask = new_csrf_string()
    chars, position = CSRF_ALLOWED_CHARS, _POSITION
    cipher = "".join(
        chars[(position[x] + position[y]) % _SIZE] for x, y in zip(secret, mask, strict=True)
    )
    return mask + cipher


def fast_csrf_secrets() -> None:
    """Make Django's CSRF middleware draw its secrets and masks with ``new_csrf_string``
    and mask with ``mask_cipher_secret``."""
    csrf._get_new_csrf_string = new_csrf_string
    csrf._mask_cipher_secret = mask_cipher_secret
