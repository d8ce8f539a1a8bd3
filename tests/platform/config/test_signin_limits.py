"""The sign-in limiter: per address, per account from one address, never per account alone."""

from __future__ import annotations

import uuid

import pytest

from config.signin_limits import (
    MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_ADDRESS,
    SigninLimiter,
    SigninRefused,
    client_network,
)


@pytest.fixture
def limiter() -> SigninLimiter:
    return SigninLimiter(scope=f"test-{uuid.uuid4().hex}")  # counters of this test only


def test_an_account_is_refused_to_the_address_that_failed_on_it(limiter):
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        limiter.check(username="Alice", address="192.0.2.1")
        limiter.failed(username="Alice", address="192.0.2.1")
    with pytest.raises(SigninRefused) as refused:
        limiter.check(username="alice ", address="192.0.2.1")  # the same account, spelled loosely
    assert 0 < refused.value.retry_after <= 15 * 60
    limiter.check(username="alice", address="192.0.2.2")  # the owner elsewhere is let through
    limiter.check(username="bob", address="192.0.2.1")  # other accounts too, under the address cap


def test_an_address_is_refused_after_failures_on_many_accounts(limiter):
    for number in range(MAX_FAILURES_PER_ADDRESS):
        limiter.failed(username=f"user{number}", address="192.0.2.9")
    with pytest.raises(SigninRefused):
        limiter.check(username="someone-new", address="192.0.2.9")


def test_a_success_forgets_the_failures_of_that_address_on_that_account(limiter):
    for _ in range(MAX_FAILURES_PER_ACCOUNT - 1):
        limiter.failed(username="alice", address="192.0.2.1")
    limiter.succeeded(username="alice", address="192.0.2.1")
    limiter.failed(username="alice", address="192.0.2.1")
    limiter.check(username="alice", address="192.0.2.1")


def test_ipv6_addresses_count_per_64_network():
    assert client_network("2001:db8:1:2:aaaa::1") == client_network("2001:db8:1:2:bbbb::9")
    assert client_network("2001:db8:1:2::1") != client_network("2001:db8:1:3::1")
    assert client_network("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_network(None) == client_network("not an address") == "unknown"
