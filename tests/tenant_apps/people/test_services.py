"""People: opaque ids, Argon2 passwords, admins."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from tenant_apps.people.models import User
from tenant_apps.people.services import user_create

pytestmark = pytest.mark.django_db


def test_a_person_gets_an_opaque_public_id_and_an_argon2_password(world):
    with schema_context(world.tenant_a.schema_name):
        user = user_create(username="dora", email="dora@example.edu", password="a long passphrase")
    assert re.fullmatch(r"u_[a-z2-7]{16}", user.public_id)
    assert "dora" not in user.public_id
    assert user.password.startswith("argon2")
    assert user.check_password("a long passphrase")
    assert not user.is_staff


def test_a_person_without_a_password_cannot_sign_in_with_one(world):
    with schema_context(world.tenant_a.schema_name):
        user = user_create(username="sso-only")
    assert not user.has_usable_password()


def test_usernames_are_unique_within_an_institution_only(world):
    with schema_context(world.tenant_b.schema_name):
        # "alice" exists in alpha, not in beta.
        user_create(username="alice")
        with pytest.raises(ValidationError):
            user_create(username="alice")
        assert User.objects.filter(username="alice").count() == 1


def test_people_of_one_institution_do_not_exist_in_another(world):
    with schema_context(world.tenant_b.schema_name):
        assert not User.objects.filter(public_id=world.alice.public_id).exists()
    with schema_context(world.tenant_a.schema_name):
        assert User.objects.get(public_id=world.alice.public_id).username == "alice"
