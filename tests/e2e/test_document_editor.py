"""In real browsers: two people edit one document at once and converge; one goes offline,
keeps writing, comes back, and both converge; a viewer's editor is read-only; the
toolbar's headings and lists reach the stored, sanitised HTML."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenant_apps.authoring import services, ydoc
from tenant_apps.content.models import ContentItem
from tenant_apps.content.services import (
    content_create_document,
    content_delete,
    content_purge,
    content_share,
)
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


@pytest.fixture
def document(world, django_db_blocker):
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        item = content_create_document(actor=world.alice, title="Lab report", body="<p>Start</p>")
        content_share(actor=world.alice, item=item, principals=[world.bob], role="editor")
    yield item
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        if ContentItem.objects.filter(pk=item.pk).exists():
            content_delete(actor=world.alice, item=item)
            content_purge(item=item)  # out of the trash too: the world is shared


def _sign_in(page, base, username):
    page.goto(base + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def _open_editor(browser, base, username, document):
    # bypass_csp: Playwright evaluates wait_for_function strings, which the pages' CSP
    # (no eval) refuses; the policy itself is asserted in tests/platform/config/test_headers.py.
    context = browser.new_context(viewport={"width": 1100, "height": 800}, bypass_csp=True)
    page = context.new_page()
    _sign_in(page, base, username)
    page.goto(f"{base}/content/{document.public_id}/editor")
    page.wait_for_selector("#editor-status[data-state='saved']", timeout=10000)
    return context, page


def _text(page) -> str:
    # The editor's own HTML (without the other people's carets drawn over it).
    return page.evaluate("() => window.oaeDocument.editor.getHTML()")


def _stored(world, django_db_blocker, document) -> str:
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        return ydoc.fragment_html(services.document_load(document)[0])


def _type_at_start(page, text: str) -> None:
    editor = page.locator("#editor .ProseMirror")
    editor.click()
    page.keyboard.press("Control+Home")
    page.keyboard.type(text, delay=5)
    page.keyboard.press("Enter")


def _type_at_end(page, text: str) -> None:
    editor = page.locator("#editor .ProseMirror")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type(text, delay=5)


def test_two_browsers_edit_at_once_and_converge(
    browser, world, live_server_url, live_channel, django_db_blocker, document
):
    base = live_server_url.format(host=world.host_a)
    alice_context, alice = _open_editor(browser, base, "alice", document)
    bob_context, bob = _open_editor(browser, base, "bob", document)
    try:
        assert alice.locator("#presence").inner_text() == "Bob Baker"
        # Both type at once, in different places (two people typing at the very same
        # spot interleave their keystrokes, as in any shared editor).
        for n in range(3):
            _type_at_start(alice, f"Alice line {n}")
            _type_at_end(bob, f"Bob line {n}")
        for page in (alice, bob):
            page.wait_for_function(
                "() => ['Alice line 2', 'Bob line 2'].every("
                "t => document.querySelector('#editor .ProseMirror').innerText.includes(t))",
                timeout=10000,
            )
            page.wait_for_selector("#editor-status[data-state='saved']", timeout=10000)
        assert _text(alice) == _text(bob)
        stored = _stored(world, django_db_blocker, document)
        for n in range(3):
            assert f"Alice line {n}" in stored and f"Bob line {n}" in stored
        # Bob's caret shows in Alice's editor under his visible name.
        bob.locator("#editor .ProseMirror").click()
        alice.wait_for_selector(".collaboration-carets__label:has-text('Bob Baker')", timeout=5000)
        screenshot(alice, "document-two-editors")
    finally:
        alice_context.close()
        bob_context.close()


def test_an_editor_offline_keeps_writing_and_converges_on_reconnect(
    browser, world, live_server_url, live_channel, django_db_blocker, document
):
    base = live_server_url.format(host=world.host_a)
    alice_context, alice = _open_editor(browser, base, "alice", document)
    bob_context, bob = _open_editor(browser, base, "bob", document)
    try:
        bob_context.set_offline(True)
        bob.evaluate("() => window.oaeDocument.provider.setOffline(true)")
        bob.wait_for_selector("#editor-status[data-state='offline']")
        _type_at_end(bob, "Written on the train")
        _type_at_start(alice, "Written at the desk")
        alice.wait_for_selector("#editor-status[data-state='saved']", timeout=10000)
        assert "Written on the train" not in _text(alice)
        bob_context.set_offline(False)
        bob.evaluate("() => window.oaeDocument.provider.setOffline(false)")
        for page in (alice, bob):
            page.wait_for_function(
                "() => ['Written on the train', 'Written at the desk'].every("
                "t => document.querySelector('#editor .ProseMirror').innerText.includes(t))",
                timeout=15000,
            )
        bob.wait_for_selector("#editor-status[data-state='saved']", timeout=10000)
        assert _text(alice) == _text(bob)
        assert "Written on the train" in _stored(world, django_db_blocker, document)
    finally:
        alice_context.close()
        bob_context.close()


def test_the_toolbar_and_a_viewers_read_only_editor(
    browser, world, live_server_url, live_channel, django_db_blocker, document
):
    base = live_server_url.format(host=world.host_a)
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        content_share(actor=world.alice, item=document, principals=[world.bob], role="viewer")
    alice_context, alice = _open_editor(browser, base, "alice", document)
    bob_context, bob = _open_editor(browser, base, "bob", document)
    try:
        assert bob.locator("#editor .ProseMirror").get_attribute("contenteditable") == "false"
        assert bob.locator("#editor-toolbar").count() == 0
        _type_at_end(alice, "Results")
        alice.get_by_role("button", name="H2").click()
        alice.keyboard.press("End")
        alice.keyboard.press("Enter")
        alice.get_by_role("button", name="• List").click()
        alice.keyboard.type("first point", delay=5)
        alice.wait_for_selector("#editor-status[data-state='saved']", timeout=10000)
        bob.wait_for_selector("#editor h2:has-text('Results')", timeout=10000)
        stored = _stored(world, django_db_blocker, document)
        assert "<h2>Results</h2>" in stored
        assert "<ul><li><p>first point</p></li></ul>" in stored
        screenshot(bob, "document-viewer")
    finally:
        alice_context.close()
        bob_context.close()
