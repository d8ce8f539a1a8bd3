"""Tag-filtered lists are planned for their tag, never run as prepared statements.

A generic plan made for a common tag (walk the date order, stop at a page) reads most of an
institution for a rare one, and one made for a rare tag (the tags index, then sort) reads
every item of a common one (README, "Prepared statements"). The untagged lists are still
prepared (so these checks can fail). Reads only what the world committed (autocommit)."""

from __future__ import annotations

import pytest

from tenant_apps.content.selectors import content_library, content_of_group, content_shared_with
from tenant_apps.groups.models import Group
from tenant_apps.people.models import User
from tests.autocommit import autocommit_default, prepared_texts

TAGS = ["common", "rare", "week-1", "none-such"] * 4  # each text runs 16 times


@pytest.fixture
def autocommit_a(world, django_db_blocker):
    with django_db_blocker.unblock(), autocommit_default(world.tenant_a) as wrapper:
        yield wrapper


def _item_reads(wrapper) -> list[str]:
    return [text for text in prepared_texts(wrapper) if '"content_contentitem"' in text]


def test_tagged_lists_are_never_prepared_but_untagged_ones_are(world, autocommit_a):
    alice = User.objects.get(pk=world.alice.pk)
    group = Group(pk=0)  # no such group: the list is empty, its statement runs all the same
    for tag in TAGS:
        list(content_library(viewer=alice, tag=tag))
        list(content_shared_with(viewer=alice, tag=tag))
        list(content_of_group(viewer=alice, group=group, tag=tag))
    assert _item_reads(autocommit_a) == []
    for _ in range(3):
        list(content_library(viewer=alice))
    assert _item_reads(autocommit_a)
