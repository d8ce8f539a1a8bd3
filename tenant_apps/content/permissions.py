"""The one permission rule of the content library (rule 4 of DESIGN.md).

Someone may **view** an item when it is public; or they are signed in and it is
visible to signed-in members, or it is shared with them, or with a group they
belong to. They may **edit** it (a document's text, a file's new versions, a link's
address, the title, description and tags) when it is shared with them, or with a group
they belong to, as editor or manager; they may **manage** it (share, change its
visibility, delete) as manager. The creator holds a manager share from the start.

An item in the trash (``deleted_at`` set) is seen by no one: only its managers' trash
lists it (tenant_apps.trash), and a share through a group in the trash grants nothing.

The rule is written once, as SQL conditions: lists filter with it, and the
checks for one item (UI, API, downloads, previews, later search) run the same
conditions against that item.
"""

from __future__ import annotations

from django.db.models import BooleanField, Expression, ExpressionWrapper, F, Q, QuerySet, Value

from tenant_apps.content.models import ContentItem, Share, ShareRole
from tenant_apps.groups.models import Group, GroupMembership
from tenant_apps.people.models import Visibility


def _is_member(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


class SharedWith(Expression):
    """Whether the item (the outer query's row) is shared with the person ``user_id``,
    directly or through a group they belong to, in one of ``roles``.

    The two EXISTS are written once, here, as SQL: building them with the ORM for
    every query (two subqueries with their joins, three times for the view, edit and
    manage conditions) cost more than running them. The item's column is the one
    source expression, so the outer alias is resolved and relabelled by Django (this
    condition works inside subqueries too).

    The redundant ``item_id >= item`` keeps PostgreSQL from turning these EXISTS into
    "hashed SubPlans" that read every share the person has before the first row: a
    person with 200,000 shares would pay for all of them on every page. As written,
    each candidate row costs one probe of an (item, principal) index, so a keyset
    page costs the same however many items and shares there are.
    """

    conditional = True

    def __init__(self, user_id: int, roles: tuple[str, ...], item=None) -> None:
        super().__init__(output_field=BooleanField())
        self.user_id = int(user_id)
        self.roles = tuple(roles)
        self.item = item if item is not None else F("pk")

    def get_source_expressions(self) -> list:
        return [self.item]

    def set_source_expressions(self, exprs) -> None:
        (self.item,) = exprs

    def as_sql(self, compiler, connection, **extra_context) -> tuple[str, tuple]:
        item_sql, item_params = compiler.compile(self.item)
        share, member = Share._meta.db_table, GroupMembership._meta.db_table
        group = Group._meta.db_table
        roles = ", ".join(["%s"] * len(self.roles))
        same_item = f'"s"."item_id" = {item_sql} AND "s"."item_id" >= {item_sql}'
        # Only table names, the item column's compiled SQL and placeholders go into the
        # text; the person and the roles are parameters.
        sql = (
            f'(EXISTS (SELECT 1 FROM "{share}" "s" WHERE {same_item} '  # noqa: S608
            f'AND "s"."user_id" = %s AND "s"."role" IN ({roles})) '
            f'OR EXISTS (SELECT 1 FROM "{share}" "s" INNER JOIN "{member}" "m" '
            f'ON "m"."group_id" = "s"."group_id" '
            # A group in the trash grants nothing until it is restored.
            f'INNER JOIN "{group}" "g" ON "g"."id" = "s"."group_id" AND "g"."deleted_at" IS NULL '
            f"WHERE {same_item} "
            f'AND "m"."user_id" = %s AND "s"."role" IN ({roles})))'
        )
        once = (*item_params, *item_params)
        params = (*once, self.user_id, *self.roles, *once, self.user_id, *self.roles)
        return sql, params


def _shared_with(user, *, roles: tuple[str, ...]) -> Q:
    return Q(SharedWith(user.pk, roles))


def can_view_q(user) -> Q:
    """The condition on ContentItem rows ``user`` may see (never one in the trash)."""
    alive = Q(deleted_at__isnull=True)
    if not _is_member(user):
        return alive & Q(visibility=Visibility.PUBLIC)
    return alive & (
        Q(visibility__in=[Visibility.PUBLIC, Visibility.LOGGEDIN])
        | _shared_with(user, roles=(ShareRole.VIEWER, ShareRole.EDITOR, ShareRole.MANAGER))
    )


def can_edit_q(user) -> Q:
    """The condition on ContentItem rows whose content ``user`` may change."""
    if not _is_member(user):
        return Q(pk__in=[])
    return _shared_with(user, roles=(ShareRole.EDITOR, ShareRole.MANAGER))


def can_manage_q(user) -> Q:
    """The condition on ContentItem rows ``user`` may change, share and delete."""
    if not _is_member(user):
        return Q(pk__in=[])
    return _shared_with(user, roles=(ShareRole.MANAGER,))


def content_visible_to(user) -> QuerySet[ContentItem]:
    """Every item ``user`` may see, annotated with ``viewer_can_edit`` and ``viewer_can_manage``."""
    if not _is_member(user):
        return ContentItem.objects.filter(can_view_q(user)).annotate(
            viewer_can_edit=Value(False), viewer_can_manage=Value(False)
        )
    return ContentItem.objects.filter(can_view_q(user)).annotate(
        viewer_can_edit=ExpressionWrapper(can_edit_q(user), output_field=BooleanField()),
        viewer_can_manage=ExpressionWrapper(can_manage_q(user), output_field=BooleanField()),
    )


def can_view(user, item: ContentItem) -> bool:
    return ContentItem.objects.filter(pk=item.pk).filter(can_view_q(user)).exists()


def can_edit(user, item: ContentItem) -> bool:
    return ContentItem.objects.filter(pk=item.pk).filter(can_edit_q(user)).exists()


def can_manage(user, item: ContentItem) -> bool:
    return ContentItem.objects.filter(pk=item.pk).filter(can_manage_q(user)).exists()
