"""Secrets an institution gives us (LDAP bind password, OpenID Connect client secret),
encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256) under the platform's keys.

``FIELD_ENCRYPTION_KEYS`` lists Fernet keys, newest first: values are written with the
first and read with any of them, so a key is rotated by putting a new one first,
running ``manage.py reencrypt_secrets`` and then dropping the old one. A database dump
or an export archive alone does not reveal the secrets.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64 bytes each): "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'"
        ) from error


def derived_key(secret: str) -> str:
    """A Fernet key derived from SECRET_KEY: the default outside production only."""
    return base64.urlsafe_b64encode(
        hashlib.sha256(f"oae-fields:{secret}".encode()).digest()
    ).decode()


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    if not value:
        return ""
    return PREFIX + fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        return stored  # written before encryption existed; re-saved encrypted by migration
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS: "
            "was a key removed before reencrypt_secrets ran?"
        ) from error


def reencrypt(stored: str) -> str:
    """The same secret under the newest key (for key rotation)."""
    return encrypt(decrypt(stored))


class EncryptedTextField(models.TextField):
    """Text stored encrypted; Python code sees the plain value."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else encrypt(value)
