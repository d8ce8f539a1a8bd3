"""The people and group picker: suggestions show names and pictures only, of people and
groups the viewer may see, never across institutions; typed names work without JavaScript
in sharing, messages and group invitations."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.content.models import Share
from tenant_apps.content.services import content_create_document
from tenant_apps.groups.models import GroupInvitation
from tenant_apps.groups.picker import PickerError, picker_resolve, picker_suggestions
from tenant_apps.groups.services import group_create
from tenant_apps.messaging.models import Thread
from tenant_apps.people.models import User
from tenant_apps.people.services import profile_update, user_create
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(world) -> Client:
    return sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)


def _in_a(world):
    return schema_context(world.tenant_a.schema_name)


def _no_private_fields(text: str) -> None:
    for private in ("bob@example.edu", '"bob"', ">bob<", "alpha-admin", "charlie"):
        assert private not in text


def test_suggestions_show_visible_names_and_pictures_only(alice, world):
    html = alice.get("/picker/suggestions", {"field": "to", "to": "bo"}).content.decode()
    assert "Bob Baker" in html and f'value="{world.bob.public_id}"' in html
    assert 'name="to_pick"' in html and 'type="checkbox"' in html
    _no_private_fields(html)
    data = alice.get("/api/v1/suggestions", {"q": "bo"}).json()["results"]
    assert data == [
        {"id": world.bob.public_id, "kind": "person", "name": "Bob Baker", "picture": None}
    ]


def test_a_person_whose_name_is_private_is_never_suggested(alice, world):
    with _in_a(world):
        bob = User.objects.get(pk=world.bob.pk)
        profile_update(actor=bob, person=bob, display_name_visibility="private")
        assert picker_suggestions(viewer=world.alice, query="Bob") == []
    assert alice.get("/api/v1/suggestions", {"q": "bob"}).json()["results"] == []


def test_private_groups_are_suggested_to_members_only(alice, world):
    with _in_a(world):
        group_create(actor=world.bob, title="Bob's secret circle", visibility="private")
        group_create(actor=world.bob, title="Bob's reading club", visibility="loggedin")
    names = [s["name"] for s in alice.get("/api/v1/suggestions", {"q": "bob's"}).json()["results"]]
    assert names == ["Bob's reading club"]
    people_only = alice.get("/api/v1/suggestions", {"q": "bob", "kind": "person"}).json()["results"]
    assert [s["kind"] for s in people_only] == ["person"]


def test_another_institution_gets_nothing(world, bearer):
    charlie = sign_in(Client(HTTP_HOST=world.host_b), world.charlie, world.tenant_b)
    # On his own institution's host: Alpha's people do not exist.
    assert charlie.get("/api/v1/suggestions", {"q": "bob"}).json()["results"] == []
    html = charlie.get("/picker/suggestions", {"field": "q", "q": "bob"}).content.decode()
    assert "Bob" not in html
    # Charlie's session or token on Alpha's host is no one there: no data.
    stranger = Client(HTTP_HOST=world.host_a)
    stranger.cookies = charlie.cookies
    refused = stranger.get("/api/v1/suggestions", {"q": "bob"})
    assert refused.status_code in (401, 403) and "Bob" not in refused.content.decode()
    token = bearer(world.charlie, world.tenant_b)
    refused = Client(HTTP_HOST=world.host_a).get("/api/v1/suggestions", {"q": "bob"}, **token)
    assert refused.status_code in (401, 403) and "Bob" not in refused.content.decode()
    page = stranger.get("/picker/suggestions", {"field": "q", "q": "bob"})
    assert page.status_code == 302 and "Bob" not in page.content.decode()


def test_suggestions_cost_a_bounded_number_of_queries(alice, world, django_assert_max_num_queries):
    with _in_a(world):
        for n in range(12):
            user_create(username=f"bo{n}", email=f"bo{n}@example.edu", display_name=f"Bo {n}")
    alice.get("/api/v1/suggestions", {"q": "x"})  # session and routing warm
    with django_assert_max_num_queries(6):
        found = alice.get("/api/v1/suggestions", {"q": "bo"}).json()["results"]
    assert len(found) == 8
    with django_assert_max_num_queries(6):
        alice.get("/picker/suggestions", {"field": "q", "q": "bo"})


def test_bad_input_is_harmless(alice):
    assert alice.get("/api/v1/suggestions").json() == {"results": [], "next": None}
    assert alice.get("/api/v1/suggestions", {"q": "x" * 5000, "kind": "robot"}).status_code == 200
    weird = alice.get("/picker/suggestions", {"field": '"><script>', "q": "<b>ob"})
    assert weird.status_code == 200 and "<script>" not in weird.content.decode()
    assert "<b>" not in weird.content.decode()
    # NUL bytes are refused before any view (a clear 400, nothing looked up).
    assert alice.get("/picker/suggestions", {"q": "\x00bob"}).status_code == 400


def test_typed_names_resolve_or_say_why_not(world):
    with _in_a(world):
        user_create(username="sam1", email="s1@example.edu", display_name="Sam Smith")
        user_create(username="sam2", email="s2@example.edu", display_name="Sam Stone")
        assert picker_resolve(viewer=world.alice, typed="bob baker") == [world.bob.public_id]
        assert picker_resolve(viewer=world.alice, typed="Bob") == [world.bob.public_id]
        with pytest.raises(PickerError) as ambiguous:
            picker_resolve(viewer=world.alice, typed="Sam, Nobody Atall")
        assert sorted(s.name for s in ambiguous.value.choices["Sam"]) == ["Sam Smith", "Sam Stone"]
        assert "No person or group called \u201cNobody Atall\u201d." in ambiguous.value.messages


def test_sharing_by_name_without_javascript(alice, world):
    with _in_a(world):
        item = content_create_document(actor=world.alice, title="Essay", body="<p>Hi</p>")
        user_create(username="sam1", email="s1@example.edu", display_name="Sam Smith")
        user_create(username="sam2", email="s2@example.edu", display_name="Sam Stone")
    url = f"/content/{item.public_id}/share"
    form = alice.get(url).content.decode()
    assert 'name="principals"' in form and "hx-get" in form
    unclear = alice.post(url, {"principals": "Sam", "role": "viewer"})
    assert unclear.status_code == 400
    html = unclear.content.decode()
    assert "Several match" in html and "Sam Smith" in html and "Sam Stone" in html
    assert 'name="principals_pick"' in html
    _no_private_fields(html)
    done = alice.post(url, {"principals": "Bob Baker", "role": "viewer"})
    assert done.status_code == 302
    with _in_a(world):
        assert Share.objects.filter(item=item, user=world.bob).exists()
    page = alice.get(f"/content/{item.public_id}").content.decode()
    assert "Shared with Bob Baker" in page


def test_sharing_is_refused_to_other_institutions(world):
    with _in_a(world):
        item = content_create_document(actor=world.alice, title="Essay", body="<p>Hi</p>")
    charlie = sign_in(Client(HTTP_HOST=world.host_b), world.charlie, world.tenant_b)
    assert charlie.get(f"/content/{item.public_id}/share").status_code == 404
    response = charlie.post(f"/content/{item.public_id}/share", {"principals": "Bob Baker"})
    assert response.status_code == 404 and "Bob" not in response.content.decode()


def test_writing_to_a_person_by_name(alice, world):
    sent = alice.post("/messages/new", {"to": "Bob Baker", "subject": "Lunch", "body": "Noon?"})
    assert sent.status_code == 302
    with _in_a(world):
        assert Thread.objects.filter(subject="Lunch").exists()
    unknown = alice.post("/messages/new", {"to": "Zed", "subject": "Hi", "body": "x"})
    assert unknown.status_code == 400
    assert "No person or group called \u201cZed\u201d." in unknown.content.decode()
    picked = alice.post(
        "/messages/new",
        {"to": "", "to_pick": [world.bob.public_id], "subject": "Tea", "body": "4pm?"},
    )
    assert picked.status_code == 302


def test_inviting_to_a_group_by_name(alice, world):
    with _in_a(world):
        group = group_create(actor=world.alice, title="Choir", join_policy="invitation")
    response = alice.post(
        f"/groups/{group.public_id}/act", {"action": "invite", "person": "Bob Baker"}, follow=True
    )
    assert "Bob Baker is invited." in response.content.decode()
    with _in_a(world):
        assert GroupInvitation.objects.filter(group=group, user=world.bob).exists()
