"""Shared with me (the dashboard's and the library's list): what it lists, and that it reads
the viewer's shares rather than every item of the institution."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tenant_apps.content.models import ContentItem, ShareRole
from tenant_apps.content.selectors import content_shared_with
from tenant_apps.content.services import content_create_document, content_share
from tenant_apps.groups.services import group_create, group_join
from tenant_apps.home.selectors import recent_shared_with
from tenant_apps.people.models import Visibility

pytestmark = pytest.mark.django_db

FILLER = 3_000  # items visible to everyone signed in, shared with no one


def _item_rows_read(plan: dict) -> int:
    """Rows of content_contentitem the executed plan read (kept or filtered out)."""
    total = 0
    if plan.get("Relation Name") == "content_contentitem":
        loops = plan.get("Actual Loops", 1)
        total += (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)) * loops
    for child in plan.get("Plans", []):
        total += _item_rows_read(child)
    return total


def test_shared_with_me_lists_direct_and_group_shares_and_reads_only_those(world):
    with schema_context(world.tenant_a.schema_name):
        direct = content_create_document(actor=world.alice, title="Shared with Bob")
        content_share(actor=world.alice, item=direct, principals=[world.bob], role="viewer")
        group = group_create(actor=world.alice, title="Reading group", join_policy="open")
        group_join(actor=world.bob, group=group)
        via_group = content_create_document(actor=world.alice, title="Shared with the group")
        content_share(actor=world.alice, item=via_group, principals=[group], role=ShareRole.EDITOR)
        own = content_create_document(actor=world.bob, title="Bob's own")
        ContentItem.objects.bulk_create(
            ContentItem(
                kind="document",
                title=f"Filler {i}",
                visibility=Visibility.LOGGEDIN,
                created_by=world.alice,
            )
            for i in range(FILLER)
        )
        with connection.cursor() as cursor:
            for table in ("content_contentitem", "content_share", "groups_groupmembership"):
                cursor.execute(f"ANALYZE {table}")

        listed = list(content_shared_with(viewer=world.bob))
        assert [i.pk for i in listed] == [via_group.pk, direct.pk]  # newest first
        assert own.pk not in {i.pk for i in listed}
        assert listed[0].viewer_can_edit and not listed[1].viewer_can_edit

        assert [i.pk for i in recent_shared_with(world.bob)] == [via_group.pk, direct.pk]
        # The dashboard's first five: the plan reads Bob's two items, not the 3,000 others
        # (an EXISTS per item walked every item, newest first, looking for five).
        first_five = recent_shared_with(world.bob)[:5]
        sql, params = first_five.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            (raw,) = cursor.fetchone()
        plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
        assert _item_rows_read(plan) <= 10, json.dumps(plan)[:2000]
