"""Connection rules: invite, accept, decline, cancel, remove; blocks stop invitations without
saying so; mutual connections."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import schema_context

from tenant_apps.connections.models import Connection, ConnectionStatus
from tenant_apps.connections.selectors import connections_list, mutual_connections
from tenant_apps.connections.services import (
    CANNOT_INVITE,
    connection_accept,
    connection_end,
    connection_invite,
    person_block,
    person_unblock,
)
from tenant_apps.people.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha(world):
    with schema_context(world.tenant_a.schema_name):
        yield world


def _connect(a, b):
    return connection_accept(actor=b, connection=connection_invite(actor=a, person=b))


def test_an_invitation_is_accepted_by_the_invitee_only(alpha):
    invitation = connection_invite(actor=alpha.alice, person=alpha.bob)
    assert invitation.public_id.startswith("k_") and invitation.status == ConnectionStatus.PENDING
    with pytest.raises(PermissionDenied):
        connection_accept(actor=alpha.alice, connection=invitation)
    connection_accept(actor=alpha.bob, connection=invitation)
    assert list(connections_list(user=alpha.alice)) == [invitation]
    assert list(connections_list(user=alpha.bob)) == [invitation]


def test_inviting_someone_who_invited_you_accepts(alpha):
    connection_invite(actor=alpha.alice, person=alpha.bob)
    connection = connection_invite(actor=alpha.bob, person=alpha.alice)
    assert connection.status == ConnectionStatus.ACCEPTED
    assert Connection.objects.count() == 1


@pytest.mark.parametrize("who", ["self", "twice"])
def test_no_invitation_to_oneself_or_twice(alpha, who):
    if who == "self":
        with pytest.raises(ValidationError, match="yourself"):
            connection_invite(actor=alpha.alice, person=alpha.alice)
    else:
        connection_invite(actor=alpha.alice, person=alpha.bob)
        with pytest.raises(ValidationError, match="already"):
            connection_invite(actor=alpha.alice, person=alpha.bob)


def test_decline_cancel_and_remove(alpha):
    assert (
        connection_end(
            actor=alpha.bob, connection=connection_invite(actor=alpha.alice, person=alpha.bob)
        )
        == "declined"
    )
    assert (
        connection_end(
            actor=alpha.alice, connection=connection_invite(actor=alpha.alice, person=alpha.bob)
        )
        == "cancelled"
    )
    connection = _connect(alpha.alice, alpha.bob)
    with pytest.raises(PermissionDenied):
        connection_end(actor=alpha.admin_a, connection=connection)
    assert connection_end(actor=alpha.bob, connection=connection) == "removed"
    assert not Connection.objects.exists()


def test_a_blocked_person_cannot_invite_and_is_not_told_why(alpha):
    _connect(alpha.alice, alpha.bob)
    person_block(actor=alpha.alice, person=alpha.bob)
    assert not Connection.objects.exists()  # blocking ends the connection
    with pytest.raises(ValidationError) as error:
        connection_invite(actor=alpha.bob, person=alpha.alice)
    assert error.value.message_dict == {"person": [CANNOT_INVITE]}
    assert "block" not in CANNOT_INVITE.lower()
    with pytest.raises(ValidationError, match="unblock them first"):
        connection_invite(actor=alpha.alice, person=alpha.bob)
    person_unblock(actor=alpha.alice, person=alpha.bob)
    connection_invite(actor=alpha.bob, person=alpha.alice)


def test_mutual_connections(alpha):
    carol = user_create(username="carol", display_name="Carol Cole")
    dave = user_create(username="dave", display_name="Dave Dunn")
    _connect(alpha.alice, carol)
    _connect(alpha.bob, carol)
    _connect(alpha.alice, dave)
    _connect(alpha.alice, alpha.bob)
    assert list(mutual_connections(viewer=alpha.alice, person=alpha.bob)) == [carol]
    assert list(mutual_connections(viewer=alpha.bob, person=alpha.alice)) == [carol]
    connection_invite(actor=alpha.bob, person=dave)  # pending: not a connection
    assert list(mutual_connections(viewer=alpha.alice, person=alpha.bob)) == [carol]
