"""End to end in a real browser: make a folder, add items to it, see them; a colleague it is
shared with sees only the items they may see."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot

TITLES = ("Syllabus (e2e)", "Week 1 slides (e2e)", "Private draft (e2e)")


@pytest.fixture
def items(world, django_db_blocker):
    from tenant_apps.content.services import content_add_link, content_delete, content_purge
    from tenant_apps.folders.models import Folder

    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        made = [
            content_add_link(
                actor=world.alice,
                url="https://example.org/e2e",
                title=title,
                visibility="private" if "Private" in title else "loggedin",
            )
            for title in TITLES
        ]
    yield made
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        Folder.objects.filter(title="Course materials (e2e)").delete()
        for item in made:
            content_delete(actor=world.alice, item=item)
            content_purge(item=item)


def _sign_in(page, base, username):
    page.goto(base + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def test_a_folder_is_made_filled_and_seen(page, live_server_url, world, items):
    base = live_server_url.format(host=world.host_a)
    _sign_in(page, base, "alice")
    page.goto(base + "/content/")
    page.get_by_role("link", name="Folders").click()
    page.get_by_role("link", name="New folder").click()
    page.get_by_label("Title").fill("Course materials (e2e)")
    page.get_by_label("Who can see the folder").select_option("loggedin")
    page.get_by_role("button", name="Create the folder").click()
    assert page.get_by_role("heading", name="Course materials (e2e)").is_visible()
    folder_url = page.url

    for title in TITLES:
        page.get_by_label(title).check()
    page.get_by_role("button", name="Add the selected items").click()
    assert page.get_by_text("Added to the folder.").is_visible()
    table = page.locator("#folder-items")
    for title in TITLES:
        assert table.get_by_role("link", name=title).is_visible()
    assert page.locator("#folder-feed").get_by_text("added 3 items to").is_visible()
    screenshot(page, "folder-page")

    # Bob sees the folder (signed-in members may) but only the items he may see.
    page.context.clear_cookies()
    _sign_in(page, base, "bob")
    page.goto(folder_url)
    table = page.locator("#folder-items")
    assert table.get_by_role("link", name="Syllabus (e2e)").is_visible()
    assert table.get_by_role("link", name="Private draft (e2e)").count() == 0
    assert page.get_by_role("button", name="Add the selected items").count() == 0
