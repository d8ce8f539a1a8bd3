"""Helpers for browser tests that pass two-factor sign-in: codes computed like an
authenticator app would (django-otp's own TOTP), from the key the page shows."""

from __future__ import annotations

import base64
import time

from django_otp.oath import TOTP


def totp_code(secret: str, *, steps_ahead: int = 0) -> str:
    """The 6-digit code of base32 ``secret`` now (or ``steps_ahead`` 30-second steps on:
    a code is accepted once, and the next step's is accepted too)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key, step=30, t0=0, digits=6, drift=0)
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def enrol_in_page(page) -> tuple[str, list[str]]:
    """On the enrolment page: read the key, confirm a code, return (key, recovery codes)
    and continue to where the person was going."""
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    codes = [code.strip() for code in page.locator(".recovery-codes code").all_inner_texts()]
    return secret, codes
