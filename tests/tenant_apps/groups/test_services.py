"""Group rules: joining by policy, requests and invitations, roles, never losing the last
manager, and private groups hidden from non-members."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django_tenants.utils import schema_context

from tenant_apps.groups.access import access_group
from tenant_apps.groups.models import GroupInvitation, GroupJoinRequest, GroupMembership, Role
from tenant_apps.groups.selectors import groups_of, groups_visible_to
from tenant_apps.groups.services import (
    group_create,
    group_invite,
    group_join,
    group_leave,
    group_member_remove,
    group_member_set_role,
    group_request_decide,
    group_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha(world):
    with schema_context(world.tenant_a.schema_name):
        yield world


def _role(group, user):
    row = GroupMembership.objects.filter(group=group, user=user).first()
    return row.role if row else None


def test_the_creator_is_the_first_manager(alpha):
    group = group_create(actor=alpha.alice, title="  Medieval history ", visibility="public")
    assert group.title == "Medieval history"
    assert _role(group, alpha.alice) == Role.MANAGER


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"visibility": "everyone"}, "visibility"),
        ({"join_policy": "whenever"}, "join_policy"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(alpha, changes, field):
    values = {"title": "A group", **changes}
    with pytest.raises(ValidationError) as error:
        group_create(actor=alpha.alice, **values)
    assert field in error.value.message_dict
    assert not GroupMembership.objects.filter(user=alpha.alice).exists()


def test_open_groups_are_joined_at_once(alpha):
    group = group_create(actor=alpha.alice, title="Open", join_policy="open")
    group_join(actor=alpha.bob, group=group)
    group_join(actor=alpha.bob, group=group)  # twice is harmless
    assert _role(group, alpha.bob) == Role.MEMBER


def test_request_groups_need_a_managers_yes(alpha):
    group = group_create(actor=alpha.alice, title="Ask", join_policy="request")
    group_join(actor=alpha.bob, group=group)
    assert _role(group, alpha.bob) is None
    assert GroupJoinRequest.objects.filter(group=group, user=alpha.bob).exists()
    with pytest.raises(PermissionDenied):
        group_request_decide(actor=alpha.bob, group=group, person=alpha.bob, accept=True)
    group_request_decide(actor=alpha.alice, group=group, person=alpha.bob, accept=True)
    assert _role(group, alpha.bob) == Role.MEMBER
    assert not GroupJoinRequest.objects.filter(group=group).exists()


def test_a_declined_request_leaves_no_membership(alpha):
    group = group_create(actor=alpha.alice, title="Ask", join_policy="request")
    group_join(actor=alpha.bob, group=group)
    group_request_decide(actor=alpha.alice, group=group, person=alpha.bob, accept=False)
    assert _role(group, alpha.bob) is None
    with pytest.raises(ValidationError):  # nothing left to decide
        group_request_decide(actor=alpha.alice, group=group, person=alpha.bob, accept=True)


def test_invitation_only_groups_take_only_the_invited(alpha):
    group = group_create(actor=alpha.alice, title="Closed", join_policy="invitation")
    with pytest.raises(PermissionDenied):
        group_join(actor=alpha.bob, group=group)
    with pytest.raises(PermissionDenied):
        group_invite(actor=alpha.bob, group=group, person=alpha.admin_a)
    group_invite(actor=alpha.alice, group=group, person=alpha.bob)
    assert _role(group, alpha.bob) is None  # no one is a member without saying yes
    group_join(actor=alpha.bob, group=group)
    assert _role(group, alpha.bob) == Role.MEMBER
    assert not GroupInvitation.objects.filter(group=group).exists()
    with pytest.raises(ValidationError):
        group_invite(actor=alpha.alice, group=group, person=alpha.bob)


def test_declining_an_invitation(alpha):
    group = group_create(actor=alpha.alice, title="Closed", join_policy="invitation")
    group_invite(actor=alpha.alice, group=group, person=alpha.bob)
    group_leave(actor=alpha.bob, group=group)
    assert not GroupInvitation.objects.filter(group=group).exists()
    assert _role(group, alpha.bob) is None


def test_a_group_never_loses_its_last_manager(alpha):
    group = group_create(actor=alpha.alice, title="G", join_policy="open")
    group_join(actor=alpha.bob, group=group)
    with pytest.raises(ValidationError, match="at least one manager"):
        group_leave(actor=alpha.alice, group=group)
    with pytest.raises(ValidationError, match="at least one manager"):
        group_member_set_role(actor=alpha.alice, group=group, person=alpha.alice, role="member")
    with pytest.raises(ValidationError, match="at least one manager"):
        group_member_remove(actor=alpha.alice, group=group, person=alpha.alice)
    group_member_set_role(actor=alpha.alice, group=group, person=alpha.bob, role="manager")
    group_leave(actor=alpha.alice, group=group)
    assert _role(group, alpha.alice) is None
    assert _role(group, alpha.bob) == Role.MANAGER


def test_only_managers_edit_remove_and_change_roles(alpha):
    group = group_create(actor=alpha.alice, title="G", join_policy="open")
    group_join(actor=alpha.bob, group=group)
    with pytest.raises(PermissionDenied):
        group_update(actor=alpha.bob, group=group, title="Mine now")
    with pytest.raises(PermissionDenied):
        group_member_set_role(actor=alpha.bob, group=group, person=alpha.bob, role="manager")
    with pytest.raises(PermissionDenied):
        group_member_remove(actor=alpha.bob, group=group, person=alpha.alice)
    group_member_remove(actor=alpha.alice, group=group, person=alpha.bob)
    assert _role(group, alpha.bob) is None


def test_private_groups_are_invisible_to_non_members(alpha):
    group = group_create(actor=alpha.alice, title="Secret", visibility="private")
    assert groups_visible_to(alpha.bob).filter(pk=group.pk).count() == 0
    assert groups_of(viewer=alpha.bob, person=alpha.alice).count() == 0
    assert groups_of(viewer=alpha.alice, person=alpha.alice).count() == 1
    with pytest.raises(Http404):
        access_group(alpha.bob, group.public_id)
    group_invite(actor=alpha.alice, group=group, person=alpha.bob)
    assert access_group(alpha.bob, group.public_id) == group  # to accept it


def test_anonymous_visitors_see_only_public_groups(alpha):
    from django.contrib.auth.models import AnonymousUser

    public = group_create(actor=alpha.alice, title="Public", visibility="public")
    group_create(actor=alpha.alice, title="Members", visibility="loggedin")
    assert list(groups_visible_to(AnonymousUser())) == [public]
