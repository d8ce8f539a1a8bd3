"""CSRF secrets and masks drawn in one read of the system's random source.

Django draws each of a CSRF secret's 32 characters with its own ``secrets.choice`` (one
``os.urandom`` call each), and every page holding a form draws 32 more to mask the token
(a browser without the CSRF cookie yet: 64). About 2 us a character on the bench machine:
0.07-0.14 ms of every page with a form, the largest single cost of a signed-in page's
frame after its session. ``fast_csrf_secrets`` replaces ``django.middleware.csrf``'s
``_get_new_csrf_string`` (its one source of secrets and masks) with the same draw from one
``os.urandom`` read: each byte below 248 (4 x 62) picks a character by ``byte % 62``,
bytes from 248 up are dropped, so every character of the alphabet is exactly as likely
as with ``secrets.choice`` (uniform, from the same cryptographic source), with the same
alphabet and length.
"""

from __future__ import annotations

import os

_BYTES_A_DRAW = 48  # 32 characters need about 32 x 256 / 248 = 33 bytes


def new_csrf_string() -> str:
    """A new CSRF secret or mask: ``CSRF_SECRET_LENGTH`` characters of
    ``CSRF_ALLOWED_CHARS``, each uniformly random."""
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

    alphabet = CSRF_ALLOWED_CHARS
    size = len(alphabet)
    limit = 256 - 256 % size  # bytes from here up would favour the first characters
    chars: list[str] = []
    while len(chars) < CSRF_SECRET_LENGTH:
        chars += [alphabet[byte % size] for byte in os.urandom(_BYTES_A_DRAW) if byte < limit]
    return "".join(chars[:CSRF_SECRET_LENGTH])


def fast_csrf_secrets() -> None:
    """Make Django's CSRF middleware draw its secrets and masks with ``new_csrf_string``
    (once)."""
    from django.middleware import csrf

    csrf._get_new_csrf_string = new_csrf_string
