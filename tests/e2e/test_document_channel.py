"""Co-editing over a real uvicorn: editors converge and every edit is acknowledged only
once committed; viewers cannot write; outsiders are refused; revoked editors are cut off;
a killed live process loses no acknowledged edit; the live path is sanitised."""

from __future__ import annotations

import time

import pytest
from django_tenants.utils import schema_context

from tenant_apps.authoring import services, ydoc
from tenant_apps.authoring.models import Revision
from tenant_apps.content.models import ContentItem
from tenant_apps.content.services import (
    content_create_document,
    content_delete,
    content_purge,
    content_share,
    content_unshare,
)
from tests.e2e.documents import Editor, document_server, refused, session_cookie

__all__ = ["document_server"]


@pytest.fixture
def document(world, django_db_blocker):
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        item = content_create_document(actor=world.alice, title="Lab report", body="<p>Start</p>")
    yield item
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        if ContentItem.objects.filter(pk=item.pk).exists():
            content_delete(actor=world.alice, item=item)
            content_purge(item=item)  # out of the trash too: the world is shared


def _share(world, django_db_blocker, item, person, role) -> None:
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        content_share(actor=world.alice, item=item, principals=[person], role=role)


def _stored_html(world, django_db_blocker, item) -> str:
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        return ydoc.fragment_html(services.document_load(item)[0])


def _editor(server, world, django_db_blocker, user, item, **kwargs) -> Editor:
    cookie = session_cookie(django_db_blocker, user, world.tenant_a)
    editor = Editor(server.port, world.host_a, cookie, item.public_id, **kwargs)
    editor.sync()
    return editor


def test_two_editors_converge_and_each_edit_is_acknowledged_once_stored(
    world, django_db_blocker, document_server, document
):
    _share(world, django_db_blocker, document, world.bob, "editor")
    alice = _editor(document_server, world, django_db_blocker, world.alice, document)
    bob = _editor(document_server, world, django_db_blocker, world.bob, document)
    assert alice.hello["rights"] == "edit" and bob.hello["name"] == "Bob Baker"
    assert "Start" in alice.html()
    for n in range(5):
        alice.type(f"alice {n}")
        bob.type(f"bob {n}")
    assert alice.saved() and bob.saved()
    stored = _stored_html(world, django_db_blocker, document)
    for n in range(5):
        assert f"alice {n}" in stored and f"bob {n}" in stored
    assert alice.pump(lambda: all(f"bob {n}" in alice.html() for n in range(5)))
    assert bob.pump(lambda: all(f"alice {n}" in bob.html() for n in range(5)))
    assert alice.html() == bob.html() == stored
    alice.close()
    bob.close()


def test_an_editor_offline_catches_up_and_sends_what_it_wrote(
    world, django_db_blocker, document_server, document
):
    _share(world, django_db_blocker, document, world.bob, "editor")
    alice = _editor(document_server, world, django_db_blocker, world.alice, document)
    bob = _editor(document_server, world, django_db_blocker, world.bob, document, client_id=4242)
    bob.close()
    # Bob writes offline, from his own copy, while Alice writes online.
    offline = bob.doc
    alice.type("online line")
    assert alice.saved()
    cookie = session_cookie(django_db_blocker, world.bob, world.tenant_a)
    again = Editor(document_server.port, world.host_a, cookie, document.public_id)
    again.doc = offline  # the same document, with the offline edit in it
    again.fragment = offline.get(ydoc.FRAGMENT, type=ydoc.XmlFragment)
    before = offline.get_state()
    paragraph = again.fragment.children.append(ydoc.XmlElement("paragraph"))
    paragraph.children.append(ydoc.XmlText()).insert(0, "offline line")
    assert offline.get_update(before)  # not sent: the socket was closed
    again.sync()  # the server's step 1 asks for it, our step 2 carries it
    assert again.saved()
    assert alice.pump(lambda: "offline line" in alice.html())
    assert "online line" in again.html()
    assert alice.html() == again.html() == _stored_html(world, django_db_blocker, document)
    alice.close()
    again.close()


def test_a_viewer_watches_but_its_socket_cannot_change_the_document(
    world, django_db_blocker, document_server, document
):
    _share(world, django_db_blocker, document, world.bob, "viewer")
    alice = _editor(document_server, world, django_db_blocker, world.alice, document)
    viewer = _editor(document_server, world, django_db_blocker, world.bob, document)
    assert viewer.hello["rights"] == "view"
    viewer.type("vandalism")
    assert viewer.pump(lambda: "read-only" in viewer.errors)
    alice.type("real text")
    assert alice.saved()
    assert viewer.pump(lambda: "real text" in viewer.html())  # watching live
    alice.pump(timeout=0.5)
    assert "vandalism" not in alice.html()
    assert "vandalism" not in _stored_html(world, django_db_blocker, document)
    alice.close()
    viewer.close()


def test_outsiders_are_refused(world, django_db_blocker, document_server, document):
    port, host = document_server.port, world.host_a
    charlie = session_cookie(django_db_blocker, world.charlie, world.tenant_b)
    bob = session_cookie(django_db_blocker, world.bob, world.tenant_a)
    assert refused(port, host, document.public_id, charlie)  # another institution's session
    assert refused(port, host, document.public_id, None)  # signed out
    assert refused(port, host, document.public_id, bob)  # a peer it is not shared with
    assert refused(port, host, "c_doesnotexist", bob)
    # On Charlie's own host, Alice's document does not exist.
    assert refused(port, world.host_b, document.public_id, charlie)


def test_a_revoked_editor_is_cut_off_mid_session(
    world, django_db_blocker, document_server, document
):
    _share(world, django_db_blocker, document, world.bob, "editor")
    bob = _editor(document_server, world, django_db_blocker, world.bob, document)
    bob.type("before")
    assert bob.saved()
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        content_unshare(actor=world.alice, item=document, principal=world.bob)
    assert bob.pump(lambda: bob.close_code is not None, timeout=5)
    assert bob.close_code == 4403
    cookie = session_cookie(django_db_blocker, world.bob, world.tenant_a)
    assert refused(document_server.port, world.host_a, document.public_id, cookie)


def test_a_killed_live_process_loses_no_acknowledged_edit(
    world, django_db_blocker, document_server, document
):
    alice = _editor(document_server, world, django_db_blocker, world.alice, document)
    for n in range(20):
        alice.type(f"durable {n}")
    assert alice.saved()
    document_server.restart()  # SIGKILL: no goodbye, nothing flushed on the way out
    again = _editor(document_server, world, django_db_blocker, world.alice, document)
    for n in range(20):
        assert f"durable {n}" in again.html()
    again.close()


def test_hostile_content_from_a_socket_is_sanitised_in_what_is_stored_and_shown(
    world, django_db_blocker, document_server, document
):
    alice = _editor(document_server, world, django_db_blocker, world.alice, document)
    before = alice.doc.get_state()
    script = alice.fragment.children.append(ydoc.XmlElement("script"))
    script.children.append(ydoc.XmlText()).insert(0, "alert(1)")
    paragraph = alice.fragment.children.append(ydoc.XmlElement("paragraph", {"onclick": "x()"}))
    text = paragraph.children.append(ydoc.XmlText())
    text.insert(0, "click me", {"link": {"href": "javascript:alert(1)"}})
    image = alice.fragment.children.append(ydoc.XmlElement("image"))
    image.attributes["src"] = "https://evil.example/pixel.png"
    alice.send_update(alice.doc.get_update(before))
    assert alice.saved()
    alice.close()  # the last editor leaves: a revision is taken
    deadline = time.monotonic() + 10
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        while time.monotonic() < deadline:
            revision = Revision.objects.filter(item=document).order_by("-number").first()
            if revision is not None and "click me" in revision.html:
                break
            time.sleep(0.2)
        assert revision is not None and "click me" in revision.html
        item = ContentItem.objects.get(pk=document.pk)
    for html in (revision.html, item.body_html):
        for bad in ("<script", "onclick", "javascript:", "evil.example"):
            assert bad not in html, (bad, html)


def test_revisions_are_taken_after_a_pause_and_list_their_authors(
    world, django_db_blocker, document_server, document
):
    _share(world, django_db_blocker, document, world.bob, "editor")
    alice = _editor(document_server, world, django_db_blocker, world.alice, document)
    bob = _editor(document_server, world, django_db_blocker, world.bob, document)
    alice.type("alice was here")
    bob.type("bob was here")
    assert alice.saved() and bob.saved()
    deadline = time.monotonic() + 10
    revision = None
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        while time.monotonic() < deadline:  # the pause is 1 s in this server
            revision = Revision.objects.filter(item=document, kind="auto").first()
            if revision is not None:
                break
            time.sleep(0.2)
        assert revision is not None
        assert {a.pk for a in revision.authors.all()} == {world.alice.pk, world.bob.pk}
        assert "bob was here" in revision.text
    assert alice.pump(lambda: f"revision:{revision.public_id}" in alice.errors)
    alice.close()
    bob.close()


def test_presence_carries_the_visible_name_the_server_gives(
    world, django_db_blocker, document_server, document
):
    _share(world, django_db_blocker, document, world.bob, "editor")
    alice = _editor(document_server, world, django_db_blocker, world.alice, document)
    bob = _editor(document_server, world, django_db_blocker, world.bob, document)
    cursor = {"anchor": {"type": None, "item": {"client": 1, "clock": 2}}, "head": None}
    bob.send_awareness({"user": {"name": "Mallory", "email": "bob@example.edu"}, "cursor": cursor})
    assert alice.pump(lambda: any(s for _, _, s in alice.awareness))
    state = next(s for _, _, s in alice.awareness if s)
    assert state["user"]["name"] == "Bob Baker"
    assert "email" not in state["user"] and state["cursor"] == cursor
    bob.close()
    assert alice.pump(lambda: alice.awareness[-1][2] is None)  # gone when Bob leaves
    alice.close()


def test_a_restore_reaches_open_editors_at_once(
    world, django_db_blocker, document_server, document
):
    alice = _editor(document_server, world, django_db_blocker, world.alice, document)
    alice.type("to be undone")
    assert alice.saved()
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        first = Revision.objects.get(item=document, number=1)
        item = ContentItem.objects.get(pk=document.pk)
        services.revision_restore(actor=world.alice, item=item, revision=first)
    assert alice.pump(lambda: "to be undone" not in alice.html())
    assert alice.html() == "<p>Start</p>"
    alice.close()


def test_in_a_suspended_institution_editors_only_watch(
    world, django_db_blocker, document_server, document
):
    from shared_apps.audit.services import Actor
    from tenants.services import tenant_resume, tenant_suspend

    with django_db_blocker.unblock():
        tenant_suspend(tenant=world.tenant_a, actor=Actor.cli())
    try:
        alice = _editor(document_server, world, django_db_blocker, world.alice, document)
        assert alice.hello["rights"] == "view"
        alice.type("written while suspended")
        assert alice.pump(lambda: "read-only" in alice.errors)
        assert "written while suspended" not in _stored_html(world, django_db_blocker, document)
        alice.close()
    finally:
        with django_db_blocker.unblock():
            tenant_resume(tenant=world.tenant_a, actor=Actor.cli())
