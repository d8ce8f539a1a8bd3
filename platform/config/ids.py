"""Opaque public ids: a type prefix and 80 random bits, e.g. ``u_k7q2m4x9c3v8b1n6``.

Never a database integer, username or e-mail (see shared/API.md).
"""

from __future__ import annotations

import base64
import secrets

PUBLIC_ID_MAX_LENGTH = 24


def new_public_id(prefix: str) -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
    return f"{prefix}_{raw}"
