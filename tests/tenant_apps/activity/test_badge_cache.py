"""The page header's unread badge, kept in each process's memory (``activity.counts``'s
``unread_local``): no round trip on a warm process, and right in every process after a new
notification, after reading them and after a change of what people may see.

"Another process" is a second cache instance of the same name: it hears of a change only
through the local caches' Redis channel, exactly as another gunicorn worker does.
"""

from __future__ import annotations

import re

import pytest
from django_redis import get_redis_connection
from django_tenants.utils import schema_context

from config.localcache import LocalCache
from tenant_apps.activity.selectors import unread_badge_count, unread_count
from tenant_apps.activity.services import activity_access_changed, notifications_mark_read
from tenant_apps.content.services import content_create_document, content_share
from tests.conftest import eventually, sign_in
from tests.tenant_apps.activity.conftest import fan_out

pytestmark = pytest.mark.django_db

NAME = "activity-unread"


@pytest.fixture
def elsewhere(other_process):
    """The badge cache of another process."""
    return other_process(NAME)


def _share_with_bob(world, title: str) -> None:
    with schema_context(world.tenant_a.schema_name):
        doc = content_create_document(actor=world.alice, title=title)
        content_share(actor=world.alice, item=doc, principals=[world.bob], role="viewer")
    fan_out(world)


def _warm_elsewhere(elsewhere: LocalCache, world, user) -> None:
    with schema_context(world.tenant_a.schema_name):
        elsewhere.get(user.pk, lambda: unread_count(user))
        assert elsewhere.cached(user.pk)


def _badge(client) -> int:
    page = client.get("/people/").content.decode()
    return int(re.search(r'id="unread-badge" class="badge" data-count="(\d+)"', page).group(1))


def _redis_reads() -> int:
    stats = get_redis_connection("default").info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("get", "mget"))


def test_a_warm_badge_costs_no_round_trip(world):
    _share_with_bob(world, "Counted")
    with schema_context(world.tenant_a.schema_name):
        assert unread_badge_count(world.bob) == 1  # counted, kept here and in Redis
        before = _redis_reads()
        assert unread_badge_count(world.bob) == 1
        assert _redis_reads() == before
        assert unread_count(world.bob) == 1  # the live channel's count: the shared one
        assert _redis_reads() == before + 1


def test_a_new_notification_shows_here_at_once_and_is_forgotten_everywhere(
    world, client_a, elsewhere
):
    sign_in(client_a, world.bob, world.tenant_a)
    _share_with_bob(world, "First")
    assert _badge(client_a) == 1
    _warm_elsewhere(elsewhere, world, world.bob)

    _share_with_bob(world, "Second")

    assert _badge(client_a) == 2  # this process: at once
    with schema_context(world.tenant_a.schema_name):
        assert eventually(lambda: not elsewhere.cached(world.bob.pk))
        assert elsewhere.get(world.bob.pk, lambda: unread_count(world.bob)) == 2


def test_reading_them_empties_the_badge_in_every_process(world, client_a, elsewhere):
    sign_in(client_a, world.bob, world.tenant_a)
    _share_with_bob(world, "To read")
    assert _badge(client_a) == 1
    _warm_elsewhere(elsewhere, world, world.bob)

    with schema_context(world.tenant_a.schema_name):
        assert notifications_mark_read(actor=world.bob) == 1

    assert _badge(client_a) == 0
    with schema_context(world.tenant_a.schema_name):
        assert eventually(lambda: not elsewhere.cached(world.bob.pk))
        assert elsewhere.get(world.bob.pk, lambda: unread_count(world.bob)) == 0


def test_a_change_of_access_forgets_every_count_of_that_institution_only(world, elsewhere):
    assert world.alice.pk == world.charlie.pk  # each schema numbers its own rows
    _warm_elsewhere(elsewhere, world, world.alice)
    _warm_elsewhere(elsewhere, world, world.bob)
    with schema_context(world.tenant_b.schema_name):
        elsewhere.get(world.charlie.pk, lambda: unread_count(world.charlie))
        assert elsewhere.cached(world.charlie.pk)
        unread_badge_count(world.charlie)

    with schema_context(world.tenant_a.schema_name):
        activity_access_changed()
        assert eventually(
            lambda: not elsewhere.cached(world.alice.pk) and not elsewhere.cached(world.bob.pk)
        )
    with schema_context(world.tenant_b.schema_name):
        assert elsewhere.cached(world.charlie.pk)  # another institution's counts stay


def test_two_institutions_with_the_same_ids_never_share_a_count(world):
    assert world.alice.pk == world.charlie.pk
    _share_with_bob(world, "Only alpha")
    with schema_context(world.tenant_a.schema_name):
        # Alice's id is Charlie's: give Alice a count of her own on alpha.
        doc = content_create_document(actor=world.bob, title="For Alice")
        content_share(actor=world.bob, item=doc, principals=[world.alice], role="viewer")
    fan_out(world)
    with schema_context(world.tenant_a.schema_name):
        assert unread_badge_count(world.alice) == 1
    with schema_context(world.tenant_b.schema_name):
        assert unread_badge_count(world.charlie) == 0
    with schema_context(world.tenant_a.schema_name):
        assert unread_badge_count(world.alice) == 1
