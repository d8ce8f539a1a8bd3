"""Every address a host answers, and a life of real data to fill them with.

Used by the endpoint audit (tests/test_endpoint_promises.py): the routes are walked from
the URL resolvers, so an address added later is in the sweeps (and must be placed in
``fill``) without anyone remembering to list it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tenants.utils import schema_context

from tenant_apps.people.models import User
from tests.conftest import PASSWORD

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def routes(urlconf: str) -> list[str]:
    """Every route template of ``urlconf``, e.g. ``api/v1/groups/<str:public_id>``."""

    def walk(patterns, prefix: str):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return list(dict.fromkeys(walk(get_resolver(urlconf).url_patterns, "")))


def params(route: str) -> list[str]:
    return [m["name"] for m in PARAM.finditer(route)]


def is_admin_route(route: str) -> bool:
    return route.startswith(("manage/", "api/v1/admin/"))


@dataclass
class Life:
    """One institution's people and things, all made by ``owner`` through the services."""

    owner: User
    peer: User  # connected to owner, in owner's thread, discussion and group
    third: User  # asked to join owner's group; owner invited them; owner blocked them
    ids: dict[str, str] = field(default_factory=dict)
    # Strings of this life that must never reach another institution.
    secrets: list[str] = field(default_factory=list)


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 90)).save(out, format="PNG")
    return out.getvalue()


def build_life(tenant, owner: User, peer: User, third: User, *, mark: str) -> Life:
    """``owner`` shares, writes, messages, groups, folders and trashes; ``peer`` and
    ``third`` take part. Titles carry ``mark`` so that a leak is easy to find."""
    from tenant_apps.account.exports import export_request
    from tenant_apps.account.models import SessionRecord
    from tenant_apps.account.services import email_change_request
    from tenant_apps.activity.emails import unsubscribe_token
    from tenant_apps.authoring.services import revision_take
    from tenant_apps.connections.services import (
        connection_accept,
        connection_invite,
        person_block,
        person_follow,
    )
    from tenant_apps.content.services import (
        comment_create,
        content_add_link,
        content_create_document,
        content_delete,
        content_share,
        content_upload_file,
        content_version_add,
    )
    from tenant_apps.discussions.services import (
        discussion_create,
        discussion_member_add,
        reply_create,
    )
    from tenant_apps.folders.services import folder_create, folder_items_add
    from tenant_apps.groups.models import JoinPolicy
    from tenant_apps.groups.services import group_create, group_invite, group_join
    from tenant_apps.invitations.access import access_invitation_target
    from tenant_apps.invitations.models import EmailInvitation
    from tenant_apps.invitations.services import invitation_create, token_hash
    from tenant_apps.messaging.models import ThreadState
    from tenant_apps.messaging.services import message_reply, message_send
    from tenant_apps.people.services import token_create

    life = Life(owner=owner, peer=peer, third=third)
    with schema_context(tenant.schema_name):
        item = content_upload_file(
            actor=owner,
            source=io.BytesIO(f"{mark} file bytes".encode()),
            filename="notes.txt",
            title=f"{mark} notes",
            description=f"{mark} description",
        )
        content_share(actor=owner, item=item, principals=[peer], role="viewer")
        version = content_version_add(
            actor=owner, item=item, source=io.BytesIO(f"{mark} v2".encode()), filename="n2.txt"
        )
        picture = content_upload_file(
            actor=owner, source=io.BytesIO(_png()), filename="p.png", title=f"{mark} picture"
        )
        link = content_add_link(actor=owner, url="https://example.org/x", title=f"{mark} link")
        document = content_create_document(
            actor=owner, title=f"{mark} document", body=f"<p>{mark} body</p>"
        )
        revision = revision_take(item=document, actor=owner, name="first")
        comment = comment_create(actor=peer, item=item, body=f"{mark} comment")
        gone = content_upload_file(
            actor=owner, source=io.BytesIO(f"{mark} gone".encode()), filename="g.txt", title="g"
        )
        content_delete(actor=owner, item=gone)

        group = group_create(
            actor=owner, title=f"{mark} group", description=f"{mark}", join_policy=JoinPolicy.OPEN
        )
        group_join(actor=peer, group=group)
        asking = group_create(
            actor=owner, title=f"{mark} closed group", join_policy=JoinPolicy.REQUEST
        )
        group_join(actor=third, group=asking)
        group_invite(actor=owner, group=asking, person=peer)

        folder = folder_create(actor=owner, title=f"{mark} folder")
        folder_items_add(actor=owner, folder=folder, item_ids=[item.public_id])

        topic = discussion_create(actor=owner, title=f"{mark} topic", body=f"<p>{mark}</p>")
        discussion_member_add(actor=owner, discussion=topic, person=peer)
        reply_create(actor=peer, discussion=topic, body=f"<p>{mark} reply</p>")

        thread = message_send(
            actor=owner, to=[peer.public_id], subject=f"{mark} subject", body=f"{mark} message"
        )
        message_reply(
            actor=peer, state=ThreadState.objects.get(thread=thread, user=peer), body=f"{mark} re"
        )

        connection = connection_invite(actor=owner, person=peer)
        connection_accept(actor=peer, connection=connection)
        person_follow(actor=peer, person=owner)
        person_block(actor=owner, person=third)

        token, _raw = token_create(user=owner, name=f"{mark} token")
        session = SessionRecord.objects.create(
            user=owner, session_key=f"audit{mark.lower()}".ljust(32, "x")[:40], user_agent=mark
        )
        export = export_request(actor=owner, person=owner)
        invitation = invitation_create(
            actor=owner,
            email=f"{mark.lower()}-invitee@example.edu",
            target=access_invitation_target(owner, item.public_id),
        )
        invitation_token = f"{mark.lower()}-invitation-token"
        EmailInvitation.objects.filter(pk=invitation.pk).update(
            token_hash=token_hash(invitation_token)
        )
        email_token = email_change_request(
            actor=owner, new_email=f"{mark.lower()}-new@example.edu", current_password=PASSWORD
        )
        life.ids = {
            "person": peer.public_id,
            "owner": owner.public_id,
            "third": third.public_id,
            "item": item.public_id,
            "picture": picture.public_id,
            "link": link.public_id,
            "document": document.public_id,
            "version": version.public_id,
            "revision": revision.public_id,
            "comment": comment.public_id,
            "trashed": gone.public_id,
            "group": group.public_id,
            "asking": asking.public_id,
            "folder": folder.public_id,
            "discussion": topic.public_id,
            "thread": thread.public_id,
            "connection": connection.public_id,
            "token": token.public_id,
            "session": session.public_id,
            "export": export.public_id,
            "invitation": invitation.public_id,
            "invitation_token": invitation_token,
            "email_token": email_token,
            "unsubscribe_token": unsubscribe_token(owner, ["comments"]),
            "uidb64": urlsafe_base64_encode(force_bytes(owner.public_id)),
            "welcome_token": default_token_generator.make_token(owner),
        }
    life.secrets = [mark, owner.display_name, peer.display_name, third.display_name]
    return life


def fill(route: str, ids: dict[str, str]) -> str:
    """The address of ``route`` with this life's ids (the thing each parameter names)."""
    r = route

    def public_id() -> str:
        if r.startswith(("people/", "api/v1/people/", "api/v1/admin/people/")):
            return ids["person"]
        if r.startswith(("content/people/", "groups/people/", "manage/people/")):
            return ids["person"]
        if r.startswith(("groups/", "api/v1/groups/")) and (
            "/requests/" in r or "/invitations/" in r
        ):
            return ids["asking"]
        if r.startswith(("groups/", "api/v1/groups/")):
            return ids["group"]
        if r.startswith(("content/", "api/v1/content/")):
            if "revisions" in r or r.endswith(("/editor", "/write")) or "/export." in r:
                return ids["document"]
            if "link-image" in r:
                return ids["link"]
            if "/pages/" in r or r.endswith(("/preview", "/pages/")):
                return ids["picture"]
            return ids["item"]
        if r.startswith(("messages/", "api/v1/messages/")):
            return ids["thread"]
        if r.startswith(("discussions/", "api/v1/discussions/")):
            return ids["discussion"]
        if r.startswith(("folders/", "api/v1/folders/")):
            return ids["folder"]
        if r.startswith("api/v1/connections/"):
            return ids["connection"]
        if r.startswith(("api/v1/me/tokens/", "account/tokens/")):
            return ids["token"]
        if r.startswith(("api/v1/me/sessions/", "account/sessions/")):
            return ids["session"]
        if r.startswith("account/exports/"):
            return ids["export"]
        if r.startswith("api/v1/invitations/"):
            return ids["invitation"]
        if r.startswith("trash/delete/"):
            return ids["item"]  # moving to the trash
        if r.startswith(("trash/", "api/v1/trash/")):
            return ids["trashed"]
        raise AssertionError(f"no id for {route}: place it in tests/endpoints.py fill()")

    def person_id() -> str:
        if "/requests/" in r:
            return ids["third"]
        if "/invitations/" in r:
            return ids["person"]
        if "/blocks/" in r:
            return ids["third"]
        return ids["person"]  # a group's or a discussion's member

    def token() -> str:
        if r.startswith("invitations/"):
            return ids["invitation_token"]
        if r.startswith("account/email/confirm/"):
            return ids["email_token"]
        if r.startswith("notifications/unsubscribe/"):
            return ids["unsubscribe_token"]
        if r.startswith("welcome/"):
            return ids["welcome_token"]
        raise AssertionError(f"no token for {route}")

    values = {
        "public_id": public_id,
        "person_id": person_id,
        "comment_id": lambda: ids["comment"],
        "revision_id": lambda: ids["revision"],
        "version_id": lambda: ids["version"],
        "number": lambda: "1",
        "fmt": lambda: "html",
        "token": token,
        "uidb64": lambda: ids["uidb64"],
    }
    path = "/" + PARAM.sub(lambda m: values[m["name"]](), route)
    # Addresses that also name things in their query.
    if r.endswith("/revisions/compare"):
        path += f"?from={ids['revision']}&to={ids['revision']}"
    if r.endswith("/diff"):
        path += f"?against={ids['revision']}"
    return path


@dataclass
class Form:
    action: str
    fields: dict[str, str]  # name -> the value the page gave it
    texts: set[str]  # names a person types into (text inputs, textareas, selects)


def post_forms(html: str, page: str) -> list[Form]:
    """The POST forms of ``html`` (served at ``page``), with their fields."""
    from html.parser import HTMLParser

    forms: list[Form] = []

    class Parser(HTMLParser):
        current: Form | None = None

        def handle_starttag(self, tag, attrs):
            a = {k: v or "" for k, v in attrs}
            if tag == "form":
                method = a.get("method", "get").lower()
                self.current = (
                    Form(a.get("action") or page, {}, set()) if method == "post" else None
                )
            elif self.current is not None and tag in ("input", "textarea", "select"):
                name = a.get("name")
                if not name or a.get("type") in ("file", "submit", "image", "reset"):
                    return
                if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                    self.current.fields.setdefault(name, "")
                    return
                self.current.fields[name] = a.get("value", "")
                if tag != "input" or a.get("type", "text") not in ("hidden",):
                    self.current.texts.add(name)

        def handle_endtag(self, tag):
            if tag == "form" and self.current is not None:
                forms.append(self.current)
                self.current = None

    Parser().feed(html)
    return forms
