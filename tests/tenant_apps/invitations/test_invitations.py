"""Invitations by e-mail: a real mail through SMTP (aiosmtpd), the same answer whether or not
the address has an account, tokens hashed at rest, single-use and expiring; the share or
membership given at sign-in (local passwords and LDAP, both through login()) or by the link;
only managers invite; other institutions get 404; bad input; bounded queries."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from tenant_apps.content.models import Share
from tenant_apps.content.services import content_create_document, content_share
from tenant_apps.groups.models import GroupInvitation, GroupMembership
from tenant_apps.groups.services import group_create
from tenant_apps.invitations.models import EmailInvitation
from tenant_apps.people.services import user_create
from tests.conftest import PASSWORD, sign_in
from tests.tenant_apps.directory.test_ldap import _configure

pytestmark = pytest.mark.django_db


def _post(client, path, data=None, **headers):
    return client.post(path, json.dumps(data or {}), content_type="application/json", **headers)


def _item(world, title="Week 1 notes"):
    with tenant_context(world.tenant_a):
        return content_create_document(actor=world.alice, title=title)


def _token(mail) -> str:
    body = mail.get_payload(decode=True).decode()
    return re.search(r"/invitations/([A-Za-z0-9_-]+)", body).group(1)


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    invite, committed, client_a, world, bearer, smtp_server
):
    item = _item(world)
    alice = bearer(world.alice)
    with committed():
        answers = [
            _post(
                client_a,
                "/api/v1/invitations/",
                {"email": email, "target": item.public_id, "role": "editor"},
                **alice,
            )
            for email in ("Bob@Example.edu", "newcomer@example.org")
        ]
    assert [a.status_code for a in answers] == [202, 202]
    shapes = [
        {k: v for k, v in a.json().items() if k not in ("id", "email", "created", "expires")}
        for a in answers
    ]
    assert (
        shapes[0]
        == shapes[1]
        == {
            "kind": "content",
            "target": item.public_id,
            "role": "editor",
            "accepted": False,
        }
    )
    assert sorted(r[0] for r in smtp_server.recipients) == [
        "bob@example.edu",
        "newcomer@example.org",
    ]
    mail = smtp_server.messages[0]
    assert mail["Subject"] == "Alice Archer invites you to Week 1 notes on Alpha University"
    token = _token(mail)
    with tenant_context(world.tenant_a):
        stored = list(EmailInvitation.objects.values_list("token_hash", flat=True))
        assert token not in stored and len(stored[0]) == 64
        # Nothing is given before acceptance, even to Bob, who has an account.
        assert not Share.objects.filter(item=item, user=world.bob).exists()


def test_a_newcomer_signs_up_and_the_share_is_theirs_at_sign_in(
    invite, committed, client_a, world, smtp_server
):
    item = _item(world)
    invite(item, "dana@example.org", role="viewer")
    with tenant_context(world.tenant_a):
        dana = user_create(
            username="dana", email="Dana@example.org", password=PASSWORD, display_name="Dana"
        )
    assert client_a.post("/signin", {"username": "dana", "password": PASSWORD}).status_code == 302
    with tenant_context(world.tenant_a):
        assert Share.objects.get(item=item, user=dana).role == "viewer"
        assert EmailInvitation.objects.get().accepted_by == dana
    assert client_a.get(f"/content/{item.public_id}").status_code == 200
    # Used once: the link is dead now.
    assert (
        Client(HTTP_HOST=world.host_a)
        .get(f"/invitations/{_token(smtp_server.messages[0])}")
        .status_code
        == 404
    )


def test_a_directory_account_made_at_its_first_sign_in_gets_its_invitations(
    invite, committed, client_a, world, directory, smtp_server
):
    uid = directory(
        f"ines{uuid.uuid4().hex[:6]}", "directory pass 1", "Ines Ito", "ines@alpha.example"
    )
    _configure(world)
    item = _item(world)
    invite(item, "ines@alpha.example")
    signed_in = client_a.post("/signin", {"username": uid, "password": "directory pass 1"})
    assert signed_in.status_code == 302
    with tenant_context(world.tenant_a):
        assert Share.objects.filter(item=item, user__username=uid).exists()


def test_the_link_opened_before_signing_in_is_accepted_by_whoever_signs_in(
    invite, committed, client_a, world, smtp_server
):
    item = _item(world)
    invite(item, "someone-else@example.org")
    token = _token(smtp_server.messages[0])
    page = client_a.get(f"/invitations/{token}")
    assert page.status_code == 200 and b"Alice Archer invites you to Week 1 notes" in page.content
    signed_in = client_a.post(
        f"/signin?next=/invitations/{token}", {"username": "bob", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client_a.get(signed_in["Location"])["Location"] == f"/content/{item.public_id}"
    with tenant_context(world.tenant_a):
        assert Share.objects.get(item=item, user=world.bob).role == "viewer"


def test_a_group_by_link_is_membership_and_by_address_an_invitation(
    invite, committed, client_a, world, smtp_server
):
    with tenant_context(world.tenant_a):
        group = group_create(actor=world.alice, title="Seminar", visibility="private")
        carol = user_create(username="carol", email="carol@example.edu", password=PASSWORD)
    invite(group, "bob-elsewhere@example.org")
    invite(group, "carol@example.edu")
    sign_in(client_a, world.bob, world.tenant_a)
    accepted = client_a.post(f"/invitations/{_token(smtp_server.messages[0])}")
    assert accepted["Location"] == f"/groups/{group.public_id}"
    signed_in = Client(HTTP_HOST=world.host_a)
    signed_in.post("/signin", {"username": "carol", "password": PASSWORD})
    with tenant_context(world.tenant_a):
        assert GroupMembership.objects.filter(group=group, user=world.bob).exists()
        # Carol did not say yes yet: she is invited, and joins (or declines) herself.
        assert GroupInvitation.objects.filter(group=group, user=carol).exists()
        assert not GroupMembership.objects.filter(group=group, user=carol).exists()


def test_expired_and_withdrawn_links_give_nothing(
    invite, committed, client_a, world, bearer, smtp_server
):
    item = _item(world)
    expired = invite(item, "late@example.org")
    withdrawn = invite(item, "gone@example.org")
    with tenant_context(world.tenant_a):
        EmailInvitation.objects.filter(pk=expired.pk).update(
            expires=timezone.now() - timedelta(seconds=1)
        )
    late, gone = (_token(m) for m in smtp_server.messages)
    alice, bob = bearer(world.alice), bearer(world.bob)
    assert client_a.delete(f"/api/v1/invitations/{withdrawn.public_id}", **bob).status_code == 404
    assert client_a.delete(f"/api/v1/invitations/{withdrawn.public_id}", **alice).status_code == 204
    for token in (late, gone, "nonsense"):
        assert client_a.get(f"/invitations/{token}").status_code == 404
        refused = _post(client_a, "/api/v1/invitations/accept", {"token": token}, **bob)
        assert refused.status_code == 400 and "token" in refused.json()["errors"]
    with tenant_context(world.tenant_a):
        assert not Share.objects.filter(item=item, user=world.bob).exists()


def test_an_inviter_who_no_longer_manages_gives_nothing(
    invite, committed, client_a, world, bearer, smtp_server
):
    item = _item(world)
    with tenant_context(world.tenant_a):
        content_share(actor=world.alice, item=item, principals=[world.bob], role="manager")
        invite(item, "x@example.org", role="manager", actor=world.bob)
        content_share(actor=world.alice, item=item, principals=[world.bob], role="viewer")
        carol = user_create(username="carol", email="carol@example.edu", password=PASSWORD)
    accepted = _post(
        client_a,
        "/api/v1/invitations/accept",
        {"token": _token(smtp_server.messages[0])},
        **bearer(carol),
    )
    assert accepted.status_code == 400
    with tenant_context(world.tenant_a):
        assert not Share.objects.filter(item=item, user=carol).exists()


def test_only_managers_invite_and_other_institutions_get_404(
    invite, committed, client_a, client_b, world, bearer
):
    item = _item(world)
    with tenant_context(world.tenant_a):
        group = group_create(actor=world.alice, title="Lab", visibility="loggedin")
    bob = bearer(world.bob)
    for target in (item.public_id, group.public_id, "x_nothing"):
        refused = _post(
            client_a, "/api/v1/invitations/", {"email": "a@b.org", "target": target}, **bob
        )
        assert refused.status_code == 404
    charlie = bearer(world.charlie, world.tenant_b)
    for target in (item.public_id, group.public_id):
        answer = _post(
            client_b, "/api/v1/invitations/", {"email": "a@b.org", "target": target}, **charlie
        )
        assert answer.status_code == 404 and "Week 1" not in answer.content.decode()
    invitation = invite(item, "a@b.org")
    assert (
        client_b.delete(f"/api/v1/invitations/{invitation.public_id}", **charlie).status_code == 404
    )
    sign_in(client_b, world.charlie, world.tenant_b)
    assert client_b.get(f"/invitations/new?target={item.public_id}").status_code == 404
    with tenant_context(world.tenant_a):
        assert EmailInvitation.objects.count() == 1


def test_bad_input_is_refused_and_nothing_is_written(
    invite, committed, client_a, world, bearer, settings, smtp_server
):
    item = _item(world)
    alice = bearer(world.alice)
    bad = _post(
        client_a,
        "/api/v1/invitations/",
        {"email": "not an address", "target": item.public_id, "role": "owner"},
        **alice,
    )
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"email", "role"}
    assert (
        _post(client_a, "/api/v1/invitations/", {"target": item.public_id}, **alice).status_code
        == 400
    )
    settings.INVITATIONS_PER_HOUR = 1
    with committed():
        ok = _post(
            client_a,
            "/api/v1/invitations/",
            {"email": "a@b.org", "target": item.public_id},
            **alice,
        )
    assert ok.status_code == 202
    again = _post(
        client_a, "/api/v1/invitations/", {"email": "c@d.org", "target": item.public_id}, **alice
    )
    assert again.status_code == 403
    with tenant_context(world.tenant_a):
        assert EmailInvitation.objects.count() == 1
    assert len(smtp_server.messages) == 1


def test_the_page_and_the_list(
    invite, committed, client_a, world, bearer, smtp_server, django_assert_max_num_queries
):
    item = _item(world)
    sign_in(client_a, world.alice, world.tenant_a)
    assert b"Invite someone by e-mail" in client_a.get(f"/content/{item.public_id}").content
    sent = client_a.post(
        "/invitations/new", {"target": item.public_id, "email": "pat@example.org", "role": "viewer"}
    )
    assert sent.status_code == 302 and sent["Location"] == f"/content/{item.public_id}"
    bad = client_a.post(
        "/invitations/new", {"target": item.public_id, "email": "nope", "role": "viewer"}
    )
    assert bad.status_code == 400
    for n in range(30):
        invite(item, f"p{n}@example.org")
    alice = bearer(world.alice)
    with django_assert_max_num_queries(6):
        page = client_a.get("/api/v1/invitations/?limit=25", **alice).json()
    assert len(page["results"]) == 25 and page["next"]
    assert client_a.get("/api/v1/invitations/", **bearer(world.bob)).json()["results"] == []


def test_a_folder_invitation_is_a_folder_share_at_sign_in(
    invite, committed, client_a, world, smtp_server
):
    from tenant_apps.folders.models import FolderShare
    from tenant_apps.folders.services import folder_create

    with tenant_context(world.tenant_a):
        folder = folder_create(actor=world.alice, title="Course pack")
        erin = user_create(username="erin", email="erin@example.org", password=PASSWORD)
    sign_in(client_a, world.alice, world.tenant_a)
    assert b"Invite someone by e-mail" in client_a.get(f"/folders/{folder.public_id}").content
    invitation = invite(folder, "erin@example.org", role="viewer")
    assert invitation.kind == "folder" and invitation.target_id == folder.public_id
    fresh = Client(HTTP_HOST=world.host_a)
    assert fresh.post("/signin", {"username": "erin", "password": PASSWORD}).status_code == 302
    with tenant_context(world.tenant_a):
        assert FolderShare.objects.get(folder=folder, user=erin).role == "viewer"
    assert fresh.get(f"/folders/{folder.public_id}").status_code == 200
