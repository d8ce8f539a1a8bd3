"""Who may share into a group's library and who may message the whole group: a group
setting (members by default; managers only; anyone who can see the group), enforced in
the services, so the API, the pages and anything else obey it alike."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from tenant_apps.content.models import Share
from tenant_apps.content.services import content_add_link, content_share
from tenant_apps.groups.models import Audience, JoinPolicy, Role
from tenant_apps.groups.services import (
    group_create,
    group_invite,
    group_join,
    group_member_set_role,
    group_update,
)
from tenant_apps.messaging.services import message_send
from tenant_apps.people.models import Visibility
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def club(world):
    """Alice's invitation-only group, visible to every signed-in member; Bob is not in it."""
    with schema_context(world.tenant_a.schema_name):
        return group_create(
            actor=world.alice,
            title="Invitation-only club",
            visibility=Visibility.LOGGEDIN,
            join_policy=JoinPolicy.INVITATION,
        )


def _bobs_link(world):
    return content_add_link(actor=world.bob, url="https://example.org/spam", title="Spam")


def test_a_stranger_cannot_push_content_into_a_groups_library(world, club):
    with schema_context(world.tenant_a.schema_name):
        item = _bobs_link(world)
        with pytest.raises(ValidationError) as refused:
            content_share(actor=world.bob, item=item, principals=[club], role="viewer")
        assert "only the group's members may share" in str(refused.value)
        assert not Share.objects.filter(item=item, group=club).exists()


def test_members_share_by_default_and_anyone_when_the_managers_say_so(world, club):
    with schema_context(world.tenant_a.schema_name):
        item = _bobs_link(world)
        group_update(actor=world.alice, group=club, library_policy=Audience.ANYONE)
        club.refresh_from_db()
        content_share(actor=world.bob, item=item, principals=[club], role="viewer")
        assert Share.objects.filter(item=item, group=club).exists()


def test_managers_only_refuses_plain_members(world, club):
    with schema_context(world.tenant_a.schema_name):
        group_invite(actor=world.alice, group=club, person=world.bob)
        group_join(actor=world.bob, group=club)
        group_update(actor=world.alice, group=club, library_policy=Audience.MANAGERS)
        club.refresh_from_db()
        item = _bobs_link(world)
        with pytest.raises(ValidationError):
            content_share(actor=world.bob, item=item, principals=[club], role="viewer")
        group_member_set_role(actor=world.alice, group=club, person=world.bob, role=Role.MANAGER)
        content_share(actor=world.bob, item=item, principals=[club], role="viewer")


def test_a_stranger_cannot_message_an_invitation_only_group(world, club):
    with schema_context(world.tenant_a.schema_name):
        with pytest.raises(ValidationError) as refused:
            message_send(actor=world.bob, to=[club.public_id], subject="Hi", body="Buy now")
        assert "only the group's members may message" in str(refused.value)
        # A member may; so may anyone once the managers open it.
        group_invite(actor=world.alice, group=club, person=world.admin_a)
        group_join(actor=world.admin_a, group=club)
        message_send(actor=world.admin_a, to=[club.public_id], subject="Hi", body="Welcome")
        group_update(actor=world.alice, group=club, message_policy=Audience.ANYONE)
        message_send(actor=world.bob, to=[club.public_id], subject="Hi", body="Hello all")


def test_the_api_shows_and_changes_the_settings_and_refuses_strangers(client_a, world, club):
    sign_in(client_a, world.alice, world.tenant_a)
    group = client_a.get(f"/api/v1/groups/{club.public_id}").json()
    assert (group["library_policy"], group["message_policy"]) == ("members", "members")
    changed = client_a.patch(
        f"/api/v1/groups/{club.public_id}",
        {"message_policy": "managers"},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["message_policy"] == "managers"
    bad = client_a.patch(
        f"/api/v1/groups/{club.public_id}",
        {"library_policy": "everyone"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "library_policy" in bad.json()["errors"]
    sign_in(client_a, world.bob, world.tenant_a)
    refused = client_a.post(
        "/api/v1/messages/",
        {"to": [club.public_id], "subject": "Hi", "body": "spam"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "only the group's managers may message" in str(refused.json()["errors"])
