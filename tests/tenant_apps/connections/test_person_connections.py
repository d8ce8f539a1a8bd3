"""A profile's Connections tab: the person and their connections see all of the person's
connections; any other member sees only the ones they have in common (what the About tab
already shows them); visitors see nothing; another institution gets a 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.connections import views
from tenant_apps.connections.services import connection_accept, connection_invite
from tenant_apps.institution.models import Visibility
from tenant_apps.people.models import User
from tenant_apps.people.services import user_create
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _connect(world, a: User, b: User) -> None:
    with schema_context(world.tenant_a.schema_name):
        connection_accept(actor=b, connection=connection_invite(actor=a, person=b))


def _person(world, username: str, name: str, **fields) -> User:
    with schema_context(world.tenant_a.schema_name):
        person = user_create(username=username, email=f"{username}@example.edu", display_name=name)
        if fields:
            User.objects.filter(pk=person.pk).update(**fields)
            person.refresh_from_db()
        return person


def _client(world, user: User) -> Client:
    return sign_in(Client(HTTP_HOST=world.host_a), user, world.tenant_a)


def _tab(client: Client, person: User, query: str = "") -> tuple[int, str]:
    response = client.get(f"/people/{person.public_id}/connections{query}")
    return response.status_code, response.content.decode()


def _listed(html: str) -> str:
    """The list's markup (empty when there is none)."""
    if 'id="person-connections"' not in html:
        return ""
    return html.split('id="person-connections"', 1)[1].split("</ul>", 1)[0]


@pytest.fixture
def circle(world):
    """Alice is connected to Carol and Dave; Bob is connected to Carol only."""
    carol = _person(world, "carol", "Carol Cole")
    dave = _person(world, "dave", "Dave Dunn")
    _connect(world, world.alice, carol)
    _connect(world, dave, world.alice)
    _connect(world, world.bob, carol)
    return carol, dave


def test_the_person_sees_all_their_connections_by_name_only(world, circle):
    carol, _ = circle
    status, html = _tab(_client(world, world.alice), world.alice)
    assert status == 200
    listed = _listed(html)
    assert "Carol Cole" in listed and "Dave Dunn" in listed
    assert f'href="/people/{carol.public_id}"' in listed
    assert 'aria-current="page">Connections</a>' in html
    for private in ("carol", "dave", "@example.edu"):
        assert private not in listed.replace("Carol", "").replace("Dave", "")
    assert "example.edu" not in html


def test_a_connection_of_the_person_sees_all_of_their_connections(world, circle):
    carol, _ = circle
    # Carol is Alice's connection: she sees Dave too, whom she does not know.
    _, html = _tab(_client(world, carol), world.alice)
    assert "Dave Dunn" in _listed(html)
    assert 'id="connections-scope"' not in html


def test_another_member_sees_only_the_connections_in_common(world, circle):
    status, html = _tab(_client(world, world.bob), world.alice)
    assert status == 200
    listed = _listed(html)
    assert "Carol Cole" in listed
    assert "Dave Dunn" not in html
    assert 'id="connections-scope"' in html


def test_visitors_are_sent_to_sign_in_and_see_no_tab(world, circle):
    visitor = Client(HTTP_HOST=world.host_a)
    response = visitor.get(f"/people/{world.alice.public_id}/connections")
    assert response.status_code == 302 and "/signin" in response["Location"]
    # Alice's name is for signed-in members: a visitor gets no profile, and no tab anywhere.
    profile = visitor.get(f"/people/{world.alice.public_id}")
    assert f"/people/{world.alice.public_id}/connections" not in profile.content.decode()
    signed_in = _client(world, world.bob).get(f"/people/{world.alice.public_id}")
    assert f'href="/people/{world.alice.public_id}/connections"' in signed_in.content.decode()


def test_another_institution_gets_a_404_and_nothing(world, circle):
    charlie = sign_in(Client(HTTP_HOST=world.host_b), world.charlie, world.tenant_b)
    response = charlie.get(f"/people/{world.alice.public_id}/connections")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Carol Cole" not in html and "Alice Archer" not in html


def test_hidden_names_and_deactivated_people_are_not_listed_to_others(world, circle):
    carol, _ = circle
    erin = _person(world, "erin", "Erin Eames", display_name_visibility=Visibility.PRIVATE)
    fred = _person(world, "fred", "Fred Fox")
    _connect(world, world.alice, erin)
    _connect(world, world.alice, fred)
    with schema_context(world.tenant_a.schema_name):
        User.objects.filter(pk=fred.pk).update(is_active=False)
    _, html = _tab(_client(world, carol), world.alice)
    assert "Erin Eames" not in html and "Fred Fox" not in html
    assert "A member of the institution" not in _listed(html)
    assert "Dave Dunn" in _listed(html)
    # Alice sees Erin (as a member: her name is private), never Fred, who left.
    _, own = _tab(_client(world, world.alice), world.alice)
    assert "Erin Eames" not in own and "Fred Fox" not in own
    assert "A member of the institution" in _listed(own)


def test_pages_are_keyset_pages(world, circle, monkeypatch):
    monkeypatch.setattr(views, "PAGE", 1)
    client = _client(world, world.alice)
    _, first = _tab(client, world.alice)
    # Newest connection first: Dave accepted after Carol.
    assert "Dave Dunn" in _listed(first) and "Carol Cole" not in _listed(first)
    after = first.split("?after=", 1)[1].split('"', 1)[0]
    _, second = _tab(client, world.alice, f"?after={after}")
    assert "Carol Cole" in _listed(second) and "?after=" not in second
    assert _tab(client, world.alice, "?after=k_nosuchconnection")[0] == 404


def test_the_query_count_does_not_grow_with_the_list(world, django_assert_max_num_queries):
    client = _client(world, world.alice)
    _connect(world, world.alice, _person(world, "p0", "Person 0"))
    client.get(f"/people/{world.alice.public_id}/connections")  # warm caches (institution)
    with django_assert_max_num_queries(9) as one:
        _tab(client, world.alice)
    for n in range(1, 8):
        _connect(world, world.alice, _person(world, f"p{n}", f"Person {n}"))
    with django_assert_max_num_queries(len(one.captured_queries)):
        status, html = _tab(client, world.alice)
    assert status == 200 and _listed(html).count("<li>") == 8
