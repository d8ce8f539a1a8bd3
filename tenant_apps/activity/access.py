"""Doors of the activity app: the objects whose feeds a person may read."""

from __future__ import annotations

from django.http import Http404

from tenant_apps.content.models import ContentItem
from tenant_apps.content.permissions import content_visible_to
from tenant_apps.groups.models import Group
from tenant_apps.groups.selectors import groups_visible_to


def access_group_feed(viewer, public_id: str) -> Group:
    """The group whose feed ``viewer`` asks for, if they may see it; Http404 otherwise."""
    group = groups_visible_to(viewer).filter(public_id=public_id).first()
    if group is None:
        raise Http404("No such group.")
    return group


def access_item_feed(viewer, public_id: str) -> ContentItem:
    """The item whose feed ``viewer`` asks for, if they may see it; Http404 otherwise."""
    item = content_visible_to(viewer).filter(public_id=public_id).first()
    if item is None:
        raise Http404("No such item.")
    return item
