"""People of their own for account tests (the standing world's people must not change), a
real SMTP server (aiosmtpd) for the mail, and the terms cache left clean."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.people.models import User
from tenant_apps.people.services import user_create
from tests.conftest import PASSWORD, sign_in
from tests.shared_apps.signup.conftest import smtp_server  # noqa: F401 - a fixture


def make_person(
    world, username: str, display_name: str, *, email: str = "", tenant=None, is_admin: bool = False
) -> User:
    with schema_context((tenant or world.tenant_a).schema_name):
        return user_create(
            username=username,
            email=email or f"{username}@example.edu",
            password=PASSWORD,
            display_name=display_name,
            is_admin=is_admin,
        )


def signed_in(world, person: User, tenant=None) -> Client:
    tenant = tenant or world.tenant_a
    host = world.host_a if tenant == world.tenant_a else world.host_b
    return sign_in(Client(HTTP_HOST=host, HTTP_USER_AGENT="TestBrowser/1.0"), person, tenant)


@pytest.fixture(autouse=True)
def _terms_cache_clean(world):
    """Terms published in a test's rolled-back transaction must not outlive it in Redis."""
    from tenant_apps.account.services import terms_cache_clear

    for tenant in (world.tenant_a, world.tenant_b):
        with schema_context(tenant.schema_name):
            terms_cache_clear()
    yield
    for tenant in (world.tenant_a, world.tenant_b):
        with schema_context(tenant.schema_name):
            terms_cache_clear()
