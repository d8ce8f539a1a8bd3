"""The folders' permission rule, written once as SQL conditions (like the content library's).

Someone may **view** a folder that is not in the trash when it is public; or they are
signed in and it is visible to signed-in members, or it is shared with them or with a
group they belong to. They may **manage** it (rename, share, add and remove items,
delete) when it is shared with them, or with a group of theirs, as manager. The creator
holds a manager share from the start. Seeing a folder never lets anyone see an item in
it: its page lists only the items the content library's rule lets the viewer see.
"""

from __future__ import annotations

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value

from tenant_apps.folders.models import Folder, FolderRole, FolderShare
from tenant_apps.people.models import Visibility


def _is_member(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _shared_with(user, *, roles: tuple[str, ...], prefix: str = "") -> Q:
    same = Q(folder=OuterRef(f"{prefix}pk"))
    direct = FolderShare.objects.filter(same, user=user, role__in=roles)
    via_group = FolderShare.objects.filter(
        same, group__memberships__user=user, group__deleted_at__isnull=True, role__in=roles
    )
    return Q(Exists(direct)) | Q(Exists(via_group))


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
