"""Connection pages: the connections page, the panel on a profile with mutual connections,
and the actions; nothing of another institution."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.connections.models import Block, Connection
from tenant_apps.connections.services import connection_accept, connection_invite
from tenant_apps.people.services import user_create
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _connect(world, a, b):
    with schema_context(world.tenant_a.schema_name):
        return connection_accept(actor=b, connection=connection_invite(actor=a, person=b))


def test_connecting_from_a_profile_page(client_a, world):
    sign_in(client_a, world.alice, world.tenant_a)
    profile = f"/people/{world.bob.public_id}"
    assert "Connect</button>" in client_a.get(profile).content.decode()
    sent = client_a.post(
        "/connections/act", {"action": "invite", "person": world.bob.public_id, "next": profile}
    )
    assert sent["Location"] == profile
    assert "Invitation sent." in client_a.get(profile).content.decode()
    sign_in(client_a, world.bob, world.tenant_a)
    page = client_a.get("/connections/?show=incoming").content.decode()
    assert "Alice Archer" in page and "alice@example.edu" not in page
    with schema_context(world.tenant_a.schema_name):
        connection = Connection.objects.get()
    client_a.post("/connections/act", {"action": "accept", "connection": connection.public_id})
    assert "Alice Archer" in client_a.get("/connections/").content.decode()
    assert "You are connected." in client_a.get(f"/people/{world.alice.public_id}").content.decode()


def test_the_profile_page_shows_mutual_connections(client_a, world):
    with schema_context(world.tenant_a.schema_name):
        carol = user_create(username="carol", display_name="Carol Cole")
    _connect(world, world.alice, carol)
    _connect(world, world.bob, carol)
    sign_in(client_a, world.alice, world.tenant_a)
    html = client_a.get(f"/people/{world.bob.public_id}").content.decode()
    mutual = html.split("Mutual connections")[1]
    assert "Carol Cole" in mutual
    assert (
        "Mutual connections"
        not in client_a.get(f"/people/{world.alice.public_id}").content.decode()
    )


def test_blocking_from_a_profile_and_a_friendly_refusal(client_a, world):
    sign_in(client_a, world.alice, world.tenant_a)
    client_a.post(
        "/connections/act", {"action": "block", "person": world.bob.public_id, "confirmed": "1"}
    )
    with schema_context(world.tenant_a.schema_name):
        assert Block.objects.filter(blocker=world.alice, blocked=world.bob).exists()
    bobs = sign_in(Client(HTTP_HOST=world.host_a), world.bob, world.tenant_a)
    refused = bobs.post(
        "/connections/act", {"action": "invite", "person": world.alice.public_id}, follow=True
    )
    told = re.findall(
        r'<li class="message [^"]*"><span role="alert">(.*?)</span></li>', refused.content.decode()
    )
    assert told == ["This person cannot be invited to connect."]


def test_pages_need_sign_in_and_ids_of_others_are_404(client_a, client_b, world):
    assert client_a.get("/connections/")["Location"].startswith("/signin")
    connection = _connect(world, world.alice, world.bob)
    sign_in(client_a, world.admin_a, world.tenant_a)
    assert (
        client_a.post(
            "/connections/act", {"action": "end", "connection": connection.public_id}
        ).status_code
        == 404
    )
    sign_in(client_b, world.charlie, world.tenant_b)
    assert (
        client_b.post(
            "/connections/act", {"action": "invite", "person": world.alice.public_id}
        ).status_code
        == 404
    )
    assert (
        client_b.post(
            "/connections/act", {"action": "end", "connection": connection.public_id}
        ).status_code
        == 404
    )
    with schema_context(world.tenant_a.schema_name):
        assert Connection.objects.filter(pk=connection.pk).exists()


def test_the_connections_page_pages_by_keyset(client_a, world, django_assert_max_num_queries):
    with schema_context(world.tenant_a.schema_name):
        for index in range(55):
            person = user_create(username=f"k{index:02d}", display_name=f"Peer {index:02d}")
            connection_accept(
                actor=world.alice, connection=connection_invite(actor=person, person=world.alice)
            )
    sign_in(client_a, world.alice, world.tenant_a)
    client_a.get("/connections/")
    # 7 and 8: one more than before, the count of invitations waiting (shown on its tab).
    with django_assert_max_num_queries(7):
        first = client_a.get("/connections/").content.decode()
    after = re.search(r"after=(k_[a-z2-7]+)", first).group(1)
    with django_assert_max_num_queries(8):
        second = client_a.get(f"/connections/?show=accepted&after={after}").content.decode()
    names = re.findall(r">(Peer \d\d)<", first + second)
    assert len(names) == len(set(names)) == 55
    assert client_a.get("/connections/?after=k_nosuch").status_code == 404


def test_blocking_asks_first_and_only_the_confirmation_blocks(client_a, world):
    sign_in(client_a, world.alice, world.tenant_a)
    profile = f"/people/{world.bob.public_id}"
    first = client_a.post(
        "/connections/act", {"action": "block", "person": world.bob.public_id, "next": profile}
    )
    assert first.status_code == 200
    page = first.content.decode()
    assert "Block Bob Baker?" in page and "bob@example.edu" not in page
    assert 'name="confirmed" value="1"' in page and f'href="{profile}"' in page
    with schema_context(world.tenant_a.schema_name):
        assert not Block.objects.filter(blocker=world.alice, blocked=world.bob).exists()
    done = client_a.post(
        "/connections/act",
        {"action": "block", "person": world.bob.public_id, "next": profile, "confirmed": "1"},
    )
    assert done["Location"] == profile
    with schema_context(world.tenant_a.schema_name):
        assert Block.objects.filter(blocker=world.alice, blocked=world.bob).exists()


def test_removing_a_connection_asks_first(client_a, world, django_assert_max_num_queries):
    connection = _connect(world, world.alice, world.bob)
    sign_in(client_a, world.alice, world.tenant_a)
    with django_assert_max_num_queries(8):
        first = client_a.post(
            "/connections/act", {"action": "end", "connection": connection.public_id}
        )
    assert first.status_code == 200 and "Remove this connection?" in first.content.decode()
    with schema_context(world.tenant_a.schema_name):
        assert Connection.objects.filter(pk=connection.pk).exists()
    client_a.post(
        "/connections/act",
        {"action": "end", "connection": connection.public_id, "confirmed": "1"},
    )
    with schema_context(world.tenant_a.schema_name):
        assert not Connection.objects.filter(pk=connection.pk).exists()


def test_declining_an_invitation_asks_first(client_a, world, django_assert_max_num_queries):
    with schema_context(world.tenant_a.schema_name):
        invitation = connection_invite(actor=world.alice, person=world.bob)
    sign_in(client_a, world.bob, world.tenant_a)
    data = {"action": "end", "connection": invitation.public_id, "next": "/connections/"}
    with django_assert_max_num_queries(8):
        asked = client_a.post("/connections/act", data)
    page = asked.content.decode()
    assert asked.status_code == 200
    assert "Decline the invitation from Alice Archer?" in page and "alice@example.edu" not in page
    assert 'name="next" value="/connections/"' in page
    with schema_context(world.tenant_a.schema_name):
        assert Connection.objects.filter(pk=invitation.pk).exists()
    declined = client_a.post("/connections/act", {**data, "confirmed": "1"})
    assert declined.status_code == 302 and declined["Location"] == "/connections/"
    with schema_context(world.tenant_a.schema_name):
        assert not Connection.objects.filter(pk=invitation.pk).exists()


def test_cancelling_ones_own_invitation_needs_no_confirmation(client_a, world):
    with schema_context(world.tenant_a.schema_name):
        invitation = connection_invite(actor=world.alice, person=world.bob)
    sign_in(client_a, world.alice, world.tenant_a)
    cancelled = client_a.post(
        "/connections/act", {"action": "end", "connection": invitation.public_id}
    )
    assert cancelled.status_code == 302
    with schema_context(world.tenant_a.schema_name):
        assert not Connection.objects.filter(pk=invitation.pk).exists()


def test_the_confirmation_of_another_institution_is_404(client_b, world):
    connection = _connect(world, world.alice, world.bob)
    sign_in(client_b, world.charlie, world.tenant_b)
    for data in (
        {"action": "end", "connection": connection.public_id},
        {"action": "block", "person": world.alice.public_id},
    ):
        answer = client_b.post("/connections/act", data)
        assert answer.status_code == 404
        assert "Alice" not in answer.content.decode()
