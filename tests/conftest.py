"""The standing world every test may use, built once per test database through the real services.

Tenant A ("alpha") has Alice (member), Bob (Alice's peer) and an admin; tenant B
("beta") has Charlie. The world is committed (it outlives each test's
transaction), so tests must not change it in place except inside `db`'s
rolled-back transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from config import localcache
from shared_apps.site.templatetags.ui import fragments_clear
from tenant_apps.people.models import User
from tenant_apps.people.services import token_create, user_create
from tenant_apps.people.two_factor import SESSION_PENDING, SESSION_VERIFIED_AT
from tenants.models import Tenant
from tenants.selectors import tenant_cache_clear
from tenants.services import tenant_create

PASSWORD = "correct horse battery staple"

# Every remembered template fragment ({% remember %}) is compared with a fresh render: a key
# that misses an input fails the test that shows it.
settings.FRAGMENTS_CHECKED = True


@dataclass(frozen=True)
class World:
    tenant_a: Tenant
    tenant_b: Tenant
    alice: User
    bob: User
    admin_a: User
    charlie: User

    @property
    def host_a(self) -> str:
        return f"{self.tenant_a.slug}.{settings.PLATFORM_DOMAIN}"

    @property
    def host_b(self) -> str:
        return f"{self.tenant_b.slug}.{settings.PLATFORM_DOMAIN}"


_world: World | None = None  # built once per test database by django_db_setup


def _person(username: str, display_name: str, *, is_admin: bool = False) -> User:
    return user_create(
        username=username,
        email=f"{username}@example.edu",
        password=PASSWORD,
        display_name=display_name,
        is_admin=is_admin,
    )


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_modify_db_settings
):
    """The test database (migrated) with the two institutions of the world.

    Replaces pytest-django's fixture, which sets up only databases that some
    collected test marks with django_db: tests that commit through their own
    unblocked connection (exports, migrate_tenants) need it as well.
    """
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose, interactive=False, aliases={"default"}
        )
        connection.set_schema_to_public()
        tenant_a = tenant_create(slug="alpha", name="Alpha University")
        tenant_b = tenant_create(slug="beta", name="Beta College")
        with schema_context(tenant_a.schema_name):
            alice = _person("alice", "Alice Archer")
            bob = _person("bob", "Bob Baker")
            admin_a = _person("alpha-admin", "Ada Admin", is_admin=True)
        with schema_context(tenant_b.schema_name):
            charlie = _person("charlie", "Charlie Chen")
    global _world
    _world = World(tenant_a, tenant_b, alice, bob, admin_a, charlie)
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture
def world(django_db_setup) -> World:
    assert _world is not None
    return _world


@pytest.fixture(autouse=True)
def _fresh_routing_state():
    """Each test starts on the public schema with empty hostname and local caches (what a
    test wrote and rolled back must not be remembered by the next one)."""
    tenant_cache_clear()
    localcache.clear_all()
    fragments_clear()
    yield
    connection.set_schema_to_public()
    tenant_cache_clear()
    localcache.clear_all()
    fragments_clear()


def eventually(predicate: Callable[[], object], timeout: float = 5.0, pause: float = 0.01) -> bool:
    """Whether ``predicate`` comes true within ``timeout`` seconds (asked every ``pause``):
    for what another process hears through a channel, a moment later."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(pause)
    return bool(predicate())


@pytest.fixture
def other_process():
    """``other_process(name)``: a second instance of a local cache, as in another worker
    (it hears only the Redis channel); closed after the test."""
    made: list[localcache.LocalCache] = []

    def make(name: str) -> localcache.LocalCache:
        cache = localcache.LocalCache(name)
        made.append(cache)
        return cache

    yield make
    for cache in made:
        cache.close()


def sign_in(client: Client, user: User, tenant: Tenant) -> Client:
    """Give ``client`` a session for ``user`` in ``tenant``'s schema (where sessions live)."""
    with schema_context(tenant.schema_name):
        client.force_login(user)
    return client


@pytest.fixture
def bearer(world) -> Callable[..., dict]:
    """``bearer(user, tenant=None)``: request headers that authenticate as ``user`` with a
    new personal access token, made in ``tenant``'s schema (tenant A unless named)."""

    def headers(user: User, tenant: Tenant | None = None) -> dict:
        with schema_context((tenant or world.tenant_a).schema_name):
            return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, name='t')[1]}"}

    return headers


@pytest.fixture
def client_a(world) -> Client:
    return Client(HTTP_HOST=world.host_a)


@pytest.fixture
def client_b(world) -> Client:
    return Client(HTTP_HOST=world.host_b)


@pytest.fixture
def platform_client() -> Client:
    return Client(HTTP_HOST=settings.PLATFORM_DOMAIN)


def second_factor_proven(client: Client, user: User) -> Client:
    """The session of ``client`` as after entering a code of ``user``'s authenticator
    (platform admins always sign in with a second factor; tests/tenant_apps/people/
    test_two_factor.py goes through the real pages)."""
    TOTPDevice.objects.get_or_create(user=user, name="test", confirmed=True)
    session = client.session
    session.pop(SESSION_PENDING, None)
    session[SESSION_VERIFIED_AT] = int(time.time())
    session.save()
    return client
