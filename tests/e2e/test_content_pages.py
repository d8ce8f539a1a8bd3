"""End to end in a real browser: upload a file, see its page, comment, share, download,
delete (to the trash) and restore."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD
from tests.e2e.conftest import ROOT, screenshot
from tests.tenant_apps.content.conftest import png_bytes

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def _purge_afterwards(world, django_db_blocker):
    """The browser commits rows in the shared world: the item leaves it (trash included)."""
    yield
    from tenant_apps.content.models import ContentItem
    from tenant_apps.content.services import content_delete, content_purge

    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        for item in ContentItem.objects.filter(title="Cell diagram (e2e)"):
            content_delete(actor=world.bob, item=item)
            content_purge(item=item)


@pytest.mark.usefixtures("_purge_afterwards")
def test_a_member_uploads_comments_downloads_and_deletes(page, live_server_url, world, tmp_path):
    base = live_server_url.format(host=world.host_a)
    diagram = tmp_path / "cell-diagram.png"
    diagram.write_bytes(png_bytes(size=(300, 200)))

    page.goto(base + "/signin")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")

    page.get_by_role("navigation").get_by_role("link", name="Library").click()
    assert page.get_by_role("heading", name="My library").is_visible()
    page.get_by_role("link", name="Upload a file").click()
    page.get_by_label("File").set_input_files(str(diagram))
    page.get_by_label("Title").fill("Cell diagram (e2e)")
    page.get_by_label("Tags").fill("biology, e2e")
    page.get_by_label("Visibility").select_option("loggedin")
    page.get_by_role("button", name="Upload").click()

    assert page.get_by_role("heading", name="Cell diagram (e2e)").is_visible()
    assert page.get_by_text("Added \u201cCell diagram (e2e)\u201d.").is_visible()
    assert page.get_by_role("link", name="Download cell-diagram.png").is_visible()
    item_url = page.url

    page.get_by_label("Comment", exact=True).fill("Labels are on the left.")
    page.get_by_role("button", name="Comment", exact=True).click()
    assert page.locator("#comments .comment-body", has_text="Labels are on the left.").is_visible()
    screenshot(page, "content-item-page")

    # Fetched by the browser itself (it resolves the institution's *.localhost host).
    download = page.evaluate(
        """async (url) => {
            const response = await fetch(url);
            const bytes = new Uint8Array(await response.arrayBuffer());
            return {status: response.status, type: response.headers.get("content-type"),
                    nosniff: response.headers.get("x-content-type-options"),
                    bytes: Array.from(bytes)};
        }""",
        item_url + "/download",
    )
    assert download["status"] == 200
    assert download["type"] == "image/png"
    assert download["nosniff"] == "nosniff"
    assert bytes(download["bytes"]) == diagram.read_bytes()

    page.get_by_role("navigation").get_by_role("link", name="Library").click()
    assert page.get_by_role("link", name="Cell diagram (e2e)").is_visible()
    screenshot(page, "content-library")

    page.goto(item_url)
    page.get_by_role("button", name="Delete this item").click()  # says what goes first
    assert page.get_by_text("It is shared with 0 people").is_visible()
    page.get_by_role("button", name="Move it to the trash").click()
    page.wait_for_url(base + "/content/")
    assert page.get_by_text("Moved \u201cCell diagram (e2e)\u201d to the trash.").is_visible()
    assert page.goto(item_url).status == 404
    page.goto(base + "/trash/")
    page.get_by_role("button", name="Restore Cell diagram (e2e)").click()
    assert page.get_by_text("Restored \u201cCell diagram (e2e)\u201d.").is_visible()
    assert page.goto(item_url).status == 200


def test_the_upload_form_is_usable_with_the_keyboard(page, live_server_url, world):
    base = live_server_url.format(host=world.host_a)
    page.goto(base + "/signin")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(base + "/")
    page.goto(base + "/content/new?kind=link")
    page.get_by_label("Address (https://...)").fill("http://127.0.0.1/secret")
    page.get_by_label("Address (https://...)").press("Enter")
    page.wait_for_load_state()
    assert page.get_by_text("Links to internal addresses are not allowed.").is_visible()
    screenshot(page, "content-link-refused")


@pytest.fixture
def shared_item(world, django_db_blocker):
    """An item of Alice's shared with Bob (committed in the shared world; purged after)."""
    import io

    from tenant_apps.content.models import ShareRole
    from tenant_apps.content.services import (
        content_delete,
        content_purge,
        content_share,
        content_upload_file,
    )

    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        item = content_upload_file(
            actor=world.alice,
            source=io.BytesIO(png_bytes()),
            filename="plan.png",
            title="Seminar plan (e2e)",
        )
        content_share(actor=world.alice, item=item, principals=[world.bob], role=ShareRole.VIEWER)
    yield item
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        content_delete(actor=world.alice, item=item)
        content_purge(item=item)


def test_stop_sharing_asks_in_a_dialog(page, live_server_url, world, shared_item):
    """With JavaScript the confirmation page's question comes up in a <dialog> over the item
    page (Cancel keeps the share); confirming stops the share."""
    base = live_server_url.format(host=world.host_a)
    page.goto(base + "/signin")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")
    item_url = f"{base}/content/{shared_item.public_id}"
    page.goto(item_url)
    shares = page.locator("#shares")
    assert shares.get_by_text("Bob Baker").is_visible()
    assert shares.get_by_text("Viewer, shared by Alice Archer on").is_visible()

    shares.get_by_role("button", name="Stop sharing").click()
    dialog = page.get_by_role("dialog", name="Stop sharing with Bob Baker?")
    dialog.wait_for()
    assert page.url == item_url  # no page was left
    assert dialog.get_by_text("Seminar plan (e2e)").is_visible()
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => (await axe.run(document.querySelector("dialog"),
                                      {resultTypes: ["violations"]})).violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => v.id)"""
    )
    assert violations == []
    screenshot(page, "content-stop-sharing-dialog")
    dialog.get_by_role("link", name="Cancel").click()
    # The dialog closes in the click's handler, after Playwright's click returns.
    page.locator("dialog").wait_for(state="detached")
    assert page.locator("dialog").count() == 0
    assert shares.get_by_text("Bob Baker").is_visible()

    shares.get_by_role("button", name="Stop sharing").click()
    dialog.wait_for()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Stop sharing").click()
    assert page.get_by_text("Removed the share.").is_visible()
    assert page.get_by_text("Not shared with anyone.").is_visible()
