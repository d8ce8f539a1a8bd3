"""Fixtures of the invitation tests: a real SMTP server, the LDAP directory, and inviting
with the mail sent as after a commit (tests' transactions never commit)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django_tenants.utils import tenant_context

from tenant_apps.invitations.access import access_invitation_target
from tenant_apps.invitations.services import invitation_create
from tests.shared_apps.signup.conftest import smtp_server  # noqa: F401 - a fixture
from tests.tenant_apps.directory.test_ldap import directory  # noqa: F401 - a fixture


@pytest.fixture(autouse=True)
def _fresh_counters():
    # Sign-in and invitation counters live in Redis, which outlives each test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs what waits for the commit (the mail) at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def invite(world, committed):
    """``invite(target, email, role=None, actor=alice)``: an invitation, its mail sent."""

    def make(target, email, role=None, actor=None):
        actor = actor or world.alice
        with tenant_context(world.tenant_a), committed():
            return invitation_create(
                actor=actor,
                email=email,
                target=access_invitation_target(actor, target.public_id),
                role=role,
            )

    return make
