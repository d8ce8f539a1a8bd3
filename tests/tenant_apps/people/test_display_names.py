"""A shown name is never derived from a username or an e-mail address (FERPA)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django_tenants.utils import schema_context

from tenant_apps.directory.models import OidcSettings
from tenant_apps.directory.oidc import oidc_person_for_claims
from tenant_apps.people.models import PLACEHOLDER_DISPLAY_NAME, User
from tenant_apps.people.services import user_create

pytestmark = pytest.mark.django_db


def test_a_person_created_without_a_name_is_shown_with_a_placeholder(world):
    with schema_context(world.tenant_a.schema_name):
        person = user_create(username="jsmith", email="jsmith@alpha.example")
        assert person.display_name == PLACEHOLDER_DISPLAY_NAME
        assert "jsmith" not in person.display_name
        assert user_create(username="kim", display_name="  Kim Lee ").display_name == "Kim Lee"


def test_the_directory_never_shows_a_username(world, client_a):
    from tests.conftest import sign_in

    with schema_context(world.tenant_a.schema_name):
        user_create(username="zxqv-student", email="zxqv@alpha.example")
    sign_in(client_a, world.alice, world.tenant_a)
    html = client_a.get("/people/?q=member").content.decode()
    assert "zxqv" not in html and PLACEHOLDER_DISPLAY_NAME in html


@pytest.mark.parametrize(
    ("claims", "shown"),
    [
        ({"name": "Dana Dale"}, "Dana Dale"),
        ({"given_name": "Dana", "family_name": "Dale"}, "Dana Dale"),
        ({"preferred_username": "ddale", "email": "ddale@x.example"}, PLACEHOLDER_DISPLAY_NAME),
    ],
)
def test_oidc_people_get_the_providers_name_or_the_placeholder(world, claims, shown):
    row = OidcSettings(issuer="https://login.example.edu", create_people=True)
    with schema_context(world.tenant_a.schema_name):
        person = oidc_person_for_claims(row=row, claims={"sub": f"s-{shown}", **claims})
        assert person.display_name == shown
        assert person.username not in person.display_name


def test_the_migration_replaces_names_made_from_usernames_and_addresses(world):
    migration = importlib.import_module(
        "tenant_apps.people.migrations.0006_display_names_not_usernames"
    )
    with schema_context(world.tenant_a.schema_name):
        leaked = user_create(username="pat", email="pat@alpha.example", display_name="x")
        mailed = user_create(username="quinn", email="quinn@alpha.example", display_name="x")
        named = user_create(
            username="robin", email="robin@alpha.example", display_name="Robin Reyes"
        )
        User.objects.filter(pk=leaked.pk).update(display_name="PAT")
        User.objects.filter(pk=mailed.pk).update(display_name="quinn@alpha.example")
        migration.forwards(django_apps, None)
        shown = dict(
            User.objects.filter(pk__in=[leaked.pk, mailed.pk, named.pk]).values_list(
                "username", "display_name"
            )
        )
    assert shown == {
        "pat": PLACEHOLDER_DISPLAY_NAME,
        "quinn": PLACEHOLDER_DISPLAY_NAME,
        "robin": "Robin Reyes",
    }
