"""The console's sign-in is limited like the institutions' and its failures are audited."""

from __future__ import annotations

import itertools
import os

import pytest

from config.signin_limits import MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS
from shared_apps.audit.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)


def unique_address() -> str:
    """An address no other test (nor another xdist worker) has counted failures for."""
    number = next(_serial)
    return f"10.{os.getpid() % 250}.{number // 250}.{number % 250 + 1}"


def _attempt(client, password: str, *, address: str, username: str = "root"):
    return client.post(
        "/console/login", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_failed_console_sign_ins_are_limited_per_account(platform_client, admin_with_password):
    address = unique_address()
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        assert _attempt(platform_client, "wrong", address=address).status_code == 400
    refused = _attempt(platform_client, PASSWORD, address=address)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many failed sign-ins" in refused.content.decode()
    assert platform_client.get("/console/").status_code == 302  # not signed in


def test_failed_console_sign_ins_are_limited_per_address(platform_client, admin_with_password):
    address = unique_address()
    for number in range(MAX_FAILURES_PER_ADDRESS):
        _attempt(platform_client, "wrong", address=address, username=f"nobody{number}")
    assert _attempt(platform_client, PASSWORD, address=address).status_code == 429


def test_a_strangers_failures_do_not_lock_the_admin_out(platform_client, admin_with_password):
    stranger = unique_address()
    for _ in range(MAX_FAILURES_PER_ACCOUNT + 2):
        _attempt(platform_client, "wrong", address=stranger)
    assert _attempt(platform_client, PASSWORD, address=stranger).status_code == 429
    assert _attempt(platform_client, PASSWORD, address=unique_address()).status_code == 302


def test_failed_console_sign_ins_are_in_the_audit_log(platform_client, admin_with_password):
    address = unique_address()
    _attempt(platform_client, "wrong", address=address)
    _attempt(platform_client, "wrong", address=address, username="guess")
    entries = AuditEntry.objects.filter(verb="console.signin_failed", ip=address)
    assert sorted(entry.details["username"] for entry in entries) == ["guess", "root"]
    assert all(entry.actor_kind == "anonymous" for entry in entries)
    assert "wrong" not in str([entry.details for entry in entries])  # never the password
    # A right password is not a failure.
    assert _attempt(platform_client, PASSWORD, address=address).status_code == 302
    assert AuditEntry.objects.filter(verb="console.signin_failed", ip=address).count() == 2
