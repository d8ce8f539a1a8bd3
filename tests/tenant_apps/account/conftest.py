"""People of their own for account tests (the standing world's people must not change), a
real SMTP server (aiosmtpd) for the mail, and the terms cache left clean."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.people.models import User
from tenant_apps.people.services import user_create
from tests.conftest import PASSWORD, sign_in
from tests.shared_apps.signup.conftest import smtp_server  # noqa: F401 - a fixture


def make_person(
    world, username: str, display_name: str, *, email: str = "", tenant=None, is_admin: bool = False
) -> User:
    with schema_context((tenant or world.tenant_a).schema_name):
        return user_create(
            username=username,
            email=email or f"{username}@example.edu",
            password=PASSWORD,
            display_name=display_name,
            is_admin=is_admin,
        )


def signed_in(world, person: User, tenant=None) -> Client:
    tenant = tenant or world.tenant_a
    host = world.host_a if tenant == world.tenant_a else world.host_b
    return sign_in(Client(HTTP_HOST=host, HTTP_USER_AGENT="TestBrowser/1.0"), person, tenant)


@pytest.fixture(autouse=True)
def _terms_cache_clean(world):
    """Terms published in a test's rolled-back transaction must not outlive it in Redis."""
    from tenant_apps.account.services import terms_cache_clear

    for tenant in (world.tenant_a, world.tenant_b):
        with schema_context(tenant.schema_name):
            terms_cache_clear()
    yield
    for tenant in (world.tenant_a, world.tenant_b):
        with schema_context(tenant.schema_name):
            terms_cache_clear()


def png_bytes(colour=(20, 160, 90)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="PNG")
    return out.getvalue()


def populate(world, person: User, *, own_bytes: bytes, shared_bytes: bytes) -> dict:
    """Give ``person`` a life in tenant A through the real services: a file of their own
    (bytes nobody else has) and one with bytes Alice also uploaded, a comment on Alice's
    item, a message to Alice and her reply, a group of their own and one of Alice's, a
    connection with Bob, a token and a picture. Returns the ids the tests look for."""
    import io

    from tenant_apps.avatars.services import avatar_set
    from tenant_apps.connections.services import connection_accept, connection_invite
    from tenant_apps.content.services import comment_create, content_share, content_upload_file
    from tenant_apps.groups.models import JoinPolicy
    from tenant_apps.groups.services import group_create, group_join
    from tenant_apps.messaging.models import ThreadState
    from tenant_apps.messaging.services import message_reply, message_send
    from tenant_apps.people.services import token_create

    with schema_context(world.tenant_a.schema_name):
        own = content_upload_file(
            actor=person, source=io.BytesIO(own_bytes), filename="thesis.txt", title="My thesis"
        )
        copy = content_upload_file(
            actor=person, source=io.BytesIO(shared_bytes), filename="notes.txt", title="Notes"
        )
        alices = content_upload_file(
            actor=world.alice, source=io.BytesIO(shared_bytes), filename="a.txt", title="Alice's"
        )
        content_share(actor=world.alice, item=alices, principals=[person], role="viewer")
        comment = comment_create(actor=person, item=alices, body="A fine reading list.")
        thread = message_send(
            actor=person, to=[world.alice.public_id], subject="Seminar", body="See you Monday?"
        )
        alice_state = ThreadState.objects.get(thread=thread, user=world.alice)
        message_reply(actor=world.alice, state=alice_state, body="Yes, at nine.")
        mine = group_create(actor=person, title="Reading circle", join_policy=JoinPolicy.OPEN)
        hers = group_create(actor=world.alice, title="Alice's lab", join_policy=JoinPolicy.OPEN)
        group_join(actor=person, group=hers)
        connection = connection_invite(actor=person, person=world.bob)
        connection_accept(actor=world.bob, connection=connection)
        token_create(user=person, name="laptop")
        from tenant_apps.discussions.services import discussion_create, reply_create

        topic = discussion_create(
            actor=world.alice,
            title="Reading group",
            body="<p>Who is in?</p>",
            mentions=[person.public_id],
        )
        reply = reply_create(actor=person, discussion=topic, body="<p>Count me in.</p>")
        own_topic = discussion_create(actor=person, title="Thesis help", body="<p>Anyone?</p>")
        # Alice invited the person's address by e-mail (an invitation that names it).
        from tenant_apps.invitations.access import access_invitation_target
        from tenant_apps.invitations.services import invitation_create

        invitation_create(
            actor=world.alice,
            email=person.email,
            target=access_invitation_target(world.alice, alices.public_id),
        )
        # A folder only they manage, someone they follow, and a second factor.
        from tenant_apps.connections.services import person_follow
        from tenant_apps.folders.services import folder_create
        from tenant_apps.people.two_factor import enrolment_begin, recovery_codes_renew

        folder = folder_create(actor=person, title="Thesis folder")
        person_follow(actor=person, person=world.alice)
        enrolment_begin(user=person)
        recovery_codes_renew(user=person)
        avatar_set(actor=person, person=person, source=io.BytesIO(png_bytes()))
        person.refresh_from_db()
    return {
        "own": own,
        "copy": copy,
        "alices": alices,
        "comment": comment,
        "thread": thread,
        "mine": mine,
        "hers": hers,
        "connection": connection,
        "topic": topic,
        "reply": reply,
        "own_topic": own_topic,
        "folder": folder,
    }
