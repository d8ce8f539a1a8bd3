"""The folders' permission rule, written once as SQL conditions (like the content library's).

Someone may **view** a folder that is not in the trash when it is public; or they are
signed in and it is visible to signed-in members, or it is shared with them or with a
group they belong to. They may **manage** it (rename, share, add and remove items,
delete) when it is shared with them, or with a group of theirs, as manager. The creator
holds a manager share from the start. Seeing a folder never lets anyone see an item in
it: its page lists only the items the content library's rule lets the viewer see.
"""

from __future__ import annotations

from django.db.models import BooleanField, Expression, ExpressionWrapper, F, Q, QuerySet, Value

from tenant_apps.folders.models import Folder, FolderRole, FolderShare
from tenant_apps.groups.models import Group, GroupMembership
from tenant_apps.people.models import Visibility


def _is_member(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


class FolderSharedWith(Expression):
    """Whether the folder (the outer query's row) is shared with the person ``user_id``,
    directly or through a group of theirs that is not in the trash, in one of ``roles``:
    the two EXISTS written once as SQL, like the content library's ``SharedWith`` (built
    with the ORM on every folder list and feed, they cost more than running them). The
    folder's column is the one source expression, so Django relabels the outer alias."""

    conditional = True

    def __init__(self, user_id: int, roles: tuple[str, ...], folder=None) -> None:
        super().__init__(output_field=BooleanField())
        self.user_id = int(user_id)
        self.roles = tuple(roles)
        self.folder = folder if folder is not None else F("pk")

    def get_source_expressions(self) -> list:
        return [self.folder]

    def set_source_expressions(self, exprs) -> None:
        (self.folder,) = exprs

    def as_sql(self, compiler, connection, **extra_context) -> tuple[str, tuple]:
        folder_sql, folder_params = compiler.compile(self.folder)
        share, group = FolderShare._meta.db_table, Group._meta.db_table
        member = GroupMembership._meta.db_table
        roles = ", ".join(["%s"] * len(self.roles))
        # Only table names, the folder column's compiled SQL and placeholders in the text.
        sql = (
            f'(EXISTS (SELECT 1 FROM "{share}" "fs" WHERE "fs"."folder_id" = {folder_sql} '  # noqa: S608
            f'AND "fs"."user_id" = %s AND "fs"."role" IN ({roles})) '
            f'OR EXISTS (SELECT 1 FROM "{share}" "fs" '
            f'INNER JOIN "{group}" "fg" ON "fg"."id" = "fs"."group_id" '
            f'AND "fg"."deleted_at" IS NULL '
            f'INNER JOIN "{member}" "fm" ON "fm"."group_id" = "fs"."group_id" '
            f'WHERE "fs"."folder_id" = {folder_sql} '
            f'AND "fm"."user_id" = %s AND "fs"."role" IN ({roles})))'
        )
        params = (
            *folder_params,
            self.user_id,
            *self.roles,
            *folder_params,
            self.user_id,
            *self.roles,
        )
        return sql, params


def _shared_with(user, *, roles: tuple[str, ...]) -> Q:
    return Q(FolderSharedWith(user.pk, roles))


def can_view_folder_q(user) -> Q:
    """The condition on Folder rows ``user`` may see (never one in the trash)."""
    alive = Q(deleted_at__isnull=True)
    if not _is_member(user):
        return alive & Q(visibility=Visibility.PUBLIC)
    return alive & (
        Q(visibility__in=[Visibility.PUBLIC, Visibility.LOGGEDIN])
        | _shared_with(user, roles=(FolderRole.VIEWER, FolderRole.MANAGER))
    )


def can_manage_folder_q(user) -> Q:
    """The condition on Folder rows ``user`` may change, share and delete (trashed ones
    included: their managers restore them)."""
    if not _is_member(user):
        return Q(pk__in=[])
    return _shared_with(user, roles=(FolderRole.MANAGER,))


def folders_visible_to(user) -> QuerySet[Folder]:
    """Every folder ``user`` may see, annotated with ``viewer_can_manage``."""
    folders = Folder.objects.filter(can_view_folder_q(user))
    if not _is_member(user):
        return folders.annotate(viewer_can_manage=Value(False))
    return folders.annotate(
        viewer_can_manage=ExpressionWrapper(can_manage_folder_q(user), output_field=BooleanField())
    )


def can_manage_folder(user, folder: Folder) -> bool:
    return Folder.objects.filter(pk=folder.pk).filter(can_manage_folder_q(user)).exists()
