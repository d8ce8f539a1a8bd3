"""Reads about groups: which groups a person may see, members, requests and invitations.

The visibility rule lives in ``groups_visible_to`` alone; every page, endpoint and count
goes through it, so a private group is invisible to non-members everywhere.
"""

from __future__ import annotations

from django.db.models import BooleanField, Expression, F, Q, QuerySet

from config.keyset import page_after
from tenant_apps.groups.models import (
    Audience,
    Group,
    GroupInvitation,
    GroupJoinRequest,
    GroupMembership,
    Role,
)
from tenant_apps.people.models import User, Visibility


def _signed_in(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False) and viewer.is_active)


def groups_visible_to(viewer) -> QuerySet[Group]:
    """Groups ``viewer`` may see: public ones; "loggedin" ones for members of the
    institution; private ones only for their members and the people invited to them. A group in the
    trash is seen by no one (its managers find it in their trash)."""
    alive = Group.objects.filter(deleted_at__isnull=True)
    if not _signed_in(viewer):
        return alive.filter(visibility=Visibility.PUBLIC)
    return alive.filter(
        Q(visibility__in=(Visibility.PUBLIC, Visibility.LOGGEDIN)) | Q(MemberOrInvited(viewer.pk))
    )


class MemberOrInvited(Expression):
    """Whether the person ``user_id`` belongs to the group (the outer query's row) or is
    invited to it: the two EXISTS of ``groups_visible_to``, written once as SQL.

    Built with the ORM (two subqueries, each resolved and compiled) on every list, group
    page and feed, they cost more than PostgreSQL's running them. The group's column is
    the one source expression, so Django resolves and relabels the outer alias (it works
    inside subqueries, e.g. an activity's "its group is visible")."""

    conditional = True

    def __init__(self, user_id: int, group=None) -> None:
        super().__init__(output_field=BooleanField())
        self.user_id = int(user_id)
        self.group = group if group is not None else F("pk")

    def get_source_expressions(self) -> list:
        return [self.group]

    def set_source_expressions(self, exprs) -> None:
        (self.group,) = exprs

    def as_sql(self, compiler, connection, **extra_context) -> tuple[str, tuple]:
        group_sql, group_params = compiler.compile(self.group)
        member, invitation = GroupMembership._meta.db_table, GroupInvitation._meta.db_table
        # Only table names, the group column's compiled SQL and placeholders in the text.
        sql = (
            f'(EXISTS (SELECT 1 FROM "{member}" "gm" '  # noqa: S608
            f'WHERE "gm"."group_id" = {group_sql} AND "gm"."user_id" = %s) '
            f'OR EXISTS (SELECT 1 FROM "{invitation}" "gi" '
            f'WHERE "gi"."group_id" = {group_sql} AND "gi"."user_id" = %s))'
        )
        return sql, (*group_params, self.user_id, *group_params, self.user_id)


def groups_of(*, viewer, person: User) -> QuerySet[Group]:
    """The groups ``person`` belongs to that ``viewer`` may see."""
    if _signed_in(viewer) and viewer.pk == person.pk:
        # One's own groups: a member sees every group of theirs that is not in the trash
        # (the same rows as below, without the visibility subqueries to build and run).
        return Group.objects.filter(deleted_at__isnull=True, memberships__user=person)
    return groups_visible_to(viewer).filter(memberships__user=person)


def membership_of(group: Group, user) -> GroupMembership | None:
    if not _signed_in(user):
        return None
    return GroupMembership.objects.filter(group=group, user=user).first()


def is_manager(group: Group, user) -> bool:
    return bool(
        _signed_in(user)
        and GroupMembership.objects.filter(group=group, user=user, role=Role.MANAGER).exists()
    )


def group_members(group: Group) -> QuerySet[GroupMembership]:
    """Active members in the order they joined (a unique key, for keyset pages), with their
    profiles; deactivated people are left out as they are everywhere else."""
    return (
        GroupMembership.objects.filter(group=group, user__is_active=True)
        .select_related("user")
        .order_by("id")
    )


def group_member_count(group: Group) -> int:
    return GroupMembership.objects.filter(group=group, user__is_active=True).count()


def group_join_requests(group: Group) -> QuerySet[GroupJoinRequest]:
    return GroupJoinRequest.objects.filter(group=group).select_related("user").order_by("id")


def group_invitations(group: Group) -> QuerySet[GroupInvitation]:
    return GroupInvitation.objects.filter(group=group).select_related("user").order_by("id")


def viewer_state(group: Group, viewer) -> dict:
    """The viewer's standing in the group: role (or None), has_requested, is_invited."""
    if not _signed_in(viewer):
        return {"role": None, "has_requested": False, "is_invited": False}
    membership = membership_of(group, viewer)
    return {
        "role": membership.role if membership else None,
        "has_requested": membership is None
        and GroupJoinRequest.objects.filter(group=group, user=viewer).exists(),
        "is_invited": membership is None
        and GroupInvitation.objects.filter(group=group, user=viewer).exists(),
    }


def members_page(
    group: Group, *, after: str | None, size: int
) -> tuple[list[GroupMembership], str | None]:
    """One keyset page of the group's members, in the order they joined, after the member
    whose public id is ``after``."""
    return page_after(
        group_members(group), order=("id",), after=after, size=size, anchor="user__public_id"
    )


def groups_page(
    groups: QuerySet[Group], *, after: str | None, size: int
) -> tuple[list[Group], str | None]:
    """One keyset page of ``groups`` by (title, id) after the group ``after`` (a public id)."""
    return page_after(groups, order=("title", "id"), after=after, size=size)


AUDIENCE_WORDS = {
    Audience.MEMBERS: "the group's members",
    Audience.MANAGERS: "the group's managers",
    Audience.ANYONE: "anyone who can see the group",
}


def group_admits(actor, group: Group, audience: str) -> bool:
    """Whether ``actor`` is in ``audience`` (one of the group's Audience settings).

    For callers that already know ``actor`` can see ``group`` (Audience.ANYONE admits them).
    """
    if audience == Audience.ANYONE:
        return True
    if not getattr(actor, "is_authenticated", False):
        return False
    roles = [Role.MANAGER] if audience == Audience.MANAGERS else [Role.MEMBER, Role.MANAGER]
    return GroupMembership.objects.filter(group=group, user=actor, role__in=roles).exists()
