"""Stopping a share asks first (a confirmation page, no JavaScript needed); only the
confirmed POST removes it. Nothing of another institution."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.content.models import Share, ShareRole
from tenant_apps.content.services import content_share, content_upload_file
from tenant_apps.groups.services import group_create
from tests.conftest import sign_in
from tests.tenant_apps.content.conftest import random_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(world):
    with schema_context(world.tenant_a.schema_name):
        item = content_upload_file(
            actor=world.alice, source=io.BytesIO(random_bytes()), filename="a.bin", title="Plan"
        )
        group = group_create(actor=world.alice, title="Reading circle")
        content_share(
            actor=world.alice, item=item, principals=[world.bob, group], role=ShareRole.VIEWER
        )
    return item, group


def _alice(world) -> Client:
    return sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)


def _shares(world, item) -> int:
    with schema_context(world.tenant_a.schema_name):
        return Share.objects.filter(item=item).count()


def test_stopping_a_share_asks_first(world, shared, django_assert_max_num_queries):
    item, group = shared
    alice = _alice(world)
    url = f"/content/{item.public_id}/unshare"
    with django_assert_max_num_queries(10):
        asked = alice.post(url, {"principal": world.bob.public_id})
    page = asked.content.decode()
    assert asked.status_code == 200
    assert "Stop sharing with Bob Baker?" in page and "“Plan”" in page
    assert 'name="confirmed" value="1"' in page
    assert f'name="principal" value="{world.bob.public_id}"' in page
    assert f'href="/content/{item.public_id}#sharing"' in page
    assert "bob@example.edu" not in page
    assert _shares(world, item) == 3  # Alice's own, Bob's, the group's
    done = alice.post(url, {"principal": world.bob.public_id, "confirmed": "1"})
    assert done.status_code == 302 and _shares(world, item) == 2
    # A group's share asks by the group's title.
    asked = alice.post(url, {"principal": group.public_id}).content.decode()
    assert "Stop sharing with Reading circle?" in asked


def test_no_confirmation_for_a_share_that_does_not_exist(world, shared):
    item, _ = shared
    alice = _alice(world)
    answer = alice.post(
        f"/content/{item.public_id}/unshare", {"principal": world.admin_a.public_id}, follow=True
    )
    assert "The item is not shared with them." in answer.content.decode()
    answer = alice.post(
        f"/content/{item.public_id}/unshare", {"principal": "u_nosuchperson"}, follow=True
    )
    assert "No such person or group" in answer.content.decode()
    assert _shares(world, item) == 3


def test_a_viewer_gets_no_confirmation_and_changes_nothing(world, shared):
    item, _ = shared
    bob = sign_in(Client(HTTP_HOST=world.host_a), world.bob, world.tenant_a)
    answer = bob.post(f"/content/{item.public_id}/unshare", {"principal": world.alice.public_id})
    assert answer.status_code == 404  # as before: only managers stop others' shares
    assert "Stop sharing with" not in answer.content.decode()
    assert _shares(world, item) == 3


def test_another_institution_gets_a_404_and_nothing(world, shared):
    item, _ = shared
    charlie = sign_in(Client(HTTP_HOST=world.host_b), world.charlie, world.tenant_b)
    answer = charlie.post(f"/content/{item.public_id}/unshare", {"principal": world.bob.public_id})
    assert answer.status_code == 404
    assert "Bob" not in answer.content.decode() and "Plan" not in answer.content.decode()
