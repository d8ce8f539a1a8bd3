"""Platform admins and clients for the console and the platform API.

Platform admins are users of the public schema (where each test starts), made
with the same service as everyone else; `db` rolls them back after each test.
"""

from __future__ import annotations

import itertools
import os

import pytest
from django.conf import settings
from django.test import Client

from tenant_apps.people.models import User
from tenant_apps.people.services import token_create, user_create
from tenants.models import Tenant
from tenants.services import tenant_create
from tests.conftest import PASSWORD, second_factor_proven

_serial = itertools.count()


def unique_slug(prefix: str = "inst") -> str:
    """A slug no other test (nor another xdist worker's database) is using."""
    return f"{prefix}-{os.getpid()}-{next(_serial)}"


def _account(username: str, *, password: str | None, is_admin: bool) -> User:
    return user_create(
        username=username,
        email=f"{username}@platform.example",
        password=password,
        is_admin=is_admin,
    )


@pytest.fixture
def platform_admin(db) -> User:
    """A platform admin without a password (hashing one costs a test ~0.3 s of Argon2)."""
    return _account("root", password=None, is_admin=True)


@pytest.fixture
def admin_with_password(db) -> User:
    """A platform admin who signs in with PASSWORD."""
    return _account("root", password=PASSWORD, is_admin=True)


@pytest.fixture
def platform_user(db) -> User:
    """A public-schema account that is not a platform admin."""
    return _account("visitor", password=None, is_admin=False)


@pytest.fixture
def user_with_password(db) -> User:
    """A public-schema account that is not a platform admin, with PASSWORD."""
    return _account("visitor", password=PASSWORD, is_admin=False)


@pytest.fixture
def console(platform_admin) -> Client:
    """A platform-host client signed in as a platform admin."""
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    client.force_login(platform_admin)
    return second_factor_proven(client, platform_admin)


@pytest.fixture
def admin_token(platform_admin) -> str:
    return token_create(user=platform_admin, name="tests")[1]


@pytest.fixture
def api(admin_token) -> Client:
    """A platform-host client sending a platform admin's Bearer token."""
    return Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_AUTHORIZATION=f"Bearer {admin_token}")


@pytest.fixture
def make_tenant(db):
    def make(name: str = "Test Institution", slug: str | None = None) -> Tenant:
        return tenant_create(slug=slug or unique_slug(), name=name)

    return make
