"""Group pages: list, create, edit, join and leave, requests, invitations, members in keyset
pages; private groups 404 to non-members and to other institutions; friendly errors."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from tenant_apps.groups.models import Group, GroupInvitation, GroupMembership
from tenant_apps.groups.services import group_create, group_join
from tenant_apps.people.services import user_create
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _group(world, **values):
    values.setdefault("title", "Medieval history")
    with schema_context(world.tenant_a.schema_name):
        return group_create(actor=values.pop("actor", world.alice), **values)


def _role(world, group, user):
    with schema_context(world.tenant_a.schema_name):
        row = GroupMembership.objects.filter(group=group, user=user).first()
    return row.role if row else None


def test_creating_a_group_and_bad_input(client_a, world):
    assert client_a.get("/groups/new")["Location"].startswith("/signin")
    sign_in(client_a, world.alice, world.tenant_a)
    form = client_a.get("/groups/new").content.decode()
    assert 'for="id_title"' in form and 'for="id_join_policy"' in form
    bad = client_a.post("/groups/new", {"title": "", "visibility": "public", "join_policy": "open"})
    assert bad.status_code == 400 and 'role="alert"' in bad.content.decode()
    good = client_a.post(
        "/groups/new",
        {"title": "Latin", "description": "", "visibility": "public", "join_policy": "open"},
    )
    assert good.status_code == 302
    with schema_context(world.tenant_a.schema_name):
        group = Group.objects.get(title="Latin")
    assert good["Location"] == f"/groups/{group.public_id}"
    page = client_a.get(good["Location"]).content.decode()
    assert "You are a manager of this group." in page and "Edit the group" in page


def test_editing_is_for_managers(client_a, world):
    group = _group(world, join_policy="open")
    sign_in(client_a, world.bob, world.tenant_a)
    assert client_a.get(f"/groups/{group.public_id}/edit").status_code == 403
    sign_in(client_a, world.alice, world.tenant_a)
    saved = client_a.post(
        f"/groups/{group.public_id}/edit",
        {
            "title": "Early modern",
            "description": "",
            "visibility": "private",
            "join_policy": "open",
        },
    )
    assert saved.status_code == 302
    with schema_context(world.tenant_a.schema_name):
        group.refresh_from_db()
    assert (group.title, group.visibility) == ("Early modern", "private")


def test_joining_an_open_group_and_leaving(client_a, world):
    group = _group(world, join_policy="open")
    sign_in(client_a, world.bob, world.tenant_a)
    assert "Join the group" in client_a.get(f"/groups/{group.public_id}").content.decode()
    client_a.post(f"/groups/{group.public_id}/act", {"action": "join"})
    assert _role(world, group, world.bob) == "member"
    client_a.post(f"/groups/{group.public_id}/act", {"action": "leave"})
    assert _role(world, group, world.bob) is None


def test_requests_are_accepted_on_the_group_page(client_a, world):
    group = _group(world, join_policy="request")
    sign_in(client_a, world.bob, world.tenant_a)
    client_a.post(f"/groups/{group.public_id}/act", {"action": "join"})
    assert "You asked to join" in client_a.get(f"/groups/{group.public_id}").content.decode()
    refused = client_a.post(
        f"/groups/{group.public_id}/act", {"action": "accept", "person": world.bob.public_id}
    )
    assert "Only the group" in client_a.get(refused["Location"]).content.decode()
    sign_in(client_a, world.alice, world.tenant_a)
    page = client_a.get(f"/groups/{group.public_id}").content.decode()
    assert "Bob Baker" in page and "bob@example.edu" not in page
    client_a.post(
        f"/groups/{group.public_id}/act", {"action": "accept", "person": world.bob.public_id}
    )
    assert _role(world, group, world.bob) == "member"


def test_inviting_by_id_and_the_last_manager_message(client_a, world):
    group = _group(world, join_policy="invitation", visibility="private")
    sign_in(client_a, world.alice, world.tenant_a)
    unknown = client_a.post(
        f"/groups/{group.public_id}/act", {"action": "invite", "person": "u_nosuch"}, follow=True
    )
    assert "There is no one with that id." in unknown.content.decode()
    client_a.post(
        f"/groups/{group.public_id}/act", {"action": "invite", "person": world.bob.public_id}
    )
    left = client_a.post(f"/groups/{group.public_id}/act", {"action": "leave"}, follow=True)
    assert "at least one manager" in left.content.decode()
    sign_in(client_a, world.bob, world.tenant_a)
    page = client_a.get(f"/groups/{group.public_id}").content.decode()
    assert "Accept the invitation" in page
    client_a.post(f"/groups/{group.public_id}/act", {"action": "join"})
    assert _role(world, group, world.bob) == "member"


def test_declining_a_group_invitation_asks_first(client_a, client_b, world):
    group = _group(world, join_policy="invitation", visibility="private", title="Latin club")
    sign_in(client_a, world.alice, world.tenant_a)
    client_a.post(
        f"/groups/{group.public_id}/act", {"action": "invite", "person": world.bob.public_id}
    )
    with schema_context(world.tenant_a.schema_name):
        invited = GroupInvitation.objects.filter(group=group, user=world.bob)
        assert invited.exists()
    sign_in(client_a, world.bob, world.tenant_a)
    asked = client_a.post(f"/groups/{group.public_id}/act", {"action": "leave"})
    page = asked.content.decode()
    assert asked.status_code == 200 and "Decline the invitation to Latin club?" in page
    assert 'name="confirmed" value="1"' in page
    with schema_context(world.tenant_a.schema_name):
        assert invited.exists()
    # Another institution holding the ids: 404, nothing declined, nothing told.
    sign_in(client_b, world.charlie, world.tenant_b)
    other = client_b.post(f"/groups/{group.public_id}/act", {"action": "leave", "confirmed": "1"})
    assert other.status_code == 404 and "Latin" not in other.content.decode()
    done = client_a.post(f"/groups/{group.public_id}/act", {"action": "leave", "confirmed": "1"})
    assert done.status_code == 302
    with schema_context(world.tenant_a.schema_name):
        assert not invited.exists()
    # A member leaving is not asked (reversible for an open group; unchanged behaviour).
    open_group = _group(world, join_policy="open", visibility="public", title="Chess")
    client_a.post(f"/groups/{open_group.public_id}/act", {"action": "join"})
    left = client_a.post(f"/groups/{open_group.public_id}/act", {"action": "leave"})
    assert left.status_code == 302 and _role(world, open_group, world.bob) is None


def test_private_groups_are_404_to_others_and_other_institutions(client_a, client_b, world):
    group = _group(world, visibility="private", join_policy="open")
    sign_in(client_a, world.bob, world.tenant_a)
    for path in ("", "/members", "/edit"):
        assert client_a.get(f"/groups/{group.public_id}{path}").status_code == 404
    assert client_a.post(f"/groups/{group.public_id}/act", {"action": "join"}).status_code == 404
    assert "Medieval" not in client_a.get("/groups/").content.decode()
    assert _role(world, group, world.bob) is None
    sign_in(client_b, world.charlie, world.tenant_b)
    public = _group(world, title="Open day", visibility="public")
    for target in (group, public):
        assert client_b.get(f"/groups/{target.public_id}").status_code == 404
        assert client_b.get(f"/groups/{target.public_id}/members").status_code == 404


def test_member_pages_by_keyset(client_a, world, django_assert_max_num_queries):
    group = _group(world, join_policy="open")
    with schema_context(world.tenant_a.schema_name):
        for index in range(55):
            person = user_create(username=f"gm{index:02d}", display_name=f"Member {index:02d}")
            group_join(actor=person, group=group)
    sign_in(client_a, world.bob, world.tenant_a)
    url = f"/groups/{group.public_id}/members"
    client_a.get(url)
    with django_assert_max_num_queries(8):
        first = client_a.get(url).content.decode()
    after = re.search(r"after=(u_[a-z2-7]+)", first).group(1)
    with django_assert_max_num_queries(9):
        second = client_a.get(f"{url}?after={after}").content.decode()
    names = re.findall(r">(Member \d\d|Alice Archer)<", first + second)
    assert len(names) == len(set(names)) == 56
    assert client_a.get(f"{url}?after=u_nosuch").status_code == 404


def test_anonymous_visitors_see_public_groups_only(client_a, world):
    _group(world, title="Open day", visibility="public")
    _group(world, title="Staff room", visibility="loggedin")
    html = client_a.get("/groups/").content.decode()
    assert "Open day" in html and "Staff room" not in html
    assert 'href="/groups/"' in html  # the nav link


def test_a_read_only_institution_refuses_joining(client_a, world):
    from shared_apps.audit.services import Actor
    from tenants.services import tenant_suspend

    group = _group(world, join_policy="open")
    tenant_suspend(tenant=world.tenant_a, actor=Actor.system("test"))
    sign_in(client_a, world.bob, world.tenant_a)
    assert client_a.get(f"/groups/{group.public_id}").status_code == 200
    assert client_a.post(f"/groups/{group.public_id}/act", {"action": "join"}).status_code == 423
    assert _role(world, group, world.bob) is None


def test_group_list_pages_by_keyset_and_hides_deactivated_members(
    client_a, world, django_assert_max_num_queries
):
    from tenant_apps.people.models import User

    for index in range(55):
        _group(world, title=f"Group {index:02d}", visibility="public")
    sign_in(client_a, world.bob, world.tenant_a)
    client_a.get("/groups/")
    with django_assert_max_num_queries(5):
        first = client_a.get("/groups/").content.decode()
    after = re.search(r"after=(g_[a-z2-7]+)", first).group(1)
    with django_assert_max_num_queries(6):
        second = client_a.get(f"/groups/?after={after}").content.decode()
    titles = re.findall(r">(Group \d\d)<", first + second)
    assert len(titles) == len(set(titles)) == 55
    assert client_a.get("/groups/?after=g_nosuch").status_code == 404
    group = _group(world, title="Seminar", join_policy="open")
    with schema_context(world.tenant_a.schema_name):
        group_join(actor=world.admin_a, group=group)
        User.objects.filter(pk=world.admin_a.pk).update(is_active=False)
    members = client_a.get(f"/groups/{group.public_id}/members").content.decode()
    assert "Alice Archer" in members and "Ada Admin" not in members
    assert "1 member<" in client_a.get(f"/groups/{group.public_id}").content.decode()


def test_deleting_a_group_needs_a_confirmation(client_a, world):
    group = _group(world, visibility="private")
    sign_in(client_a, world.alice, world.tenant_a)
    page = client_a.get(f"/groups/{group.public_id}").content.decode()
    assert "Only the group&#x27;s members" in page
    unconfirmed = client_a.post(f"/groups/{group.public_id}/act", {"action": "delete"}, follow=True)
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    with schema_context(world.tenant_a.schema_name):
        assert Group.objects.filter(pk=group.pk).exists()
    client_a.post(f"/groups/{group.public_id}/act", {"action": "delete", "confirm": "yes"})
    with schema_context(world.tenant_a.schema_name):  # in the trash, restorable
        assert Group.objects.get(pk=group.pk).deleted_at is not None
    assert client_a.get(f"/groups/{group.public_id}").status_code == 404
