"""End to end in a real browser: a manager gives a group a picture, a member shares an
item into the group's library, and both show where they should."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot
from tests.tenant_apps.content.conftest import png_bytes


@pytest.fixture
def _leave_no_trace(world, django_db_blocker):
    """The browser commits rows in the shared world: remove them through the services,
    so the picture's blob reference is released like any deleted group's."""
    yield
    from tenant_apps.content.models import ContentItem
    from tenant_apps.content.services import content_delete, content_purge
    from tenant_apps.groups.models import Group
    from tenant_apps.groups.services import group_delete, group_purge

    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        for group in Group.objects.filter(title="Photo club (e2e)"):
            group_delete(actor=world.alice, group=group)
            group_purge(group=group)  # out of the trash too: the world is shared
        for item in ContentItem.objects.filter(title="Club rules (e2e)"):
            content_delete(actor=world.alice, item=item)
            content_purge(item=item)


def _sign_in(page, base, username):
    page.goto(base + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def _shown_width(page, selector: str) -> int:
    # Wait for the picture itself: the element can be there before its bytes are.
    page.wait_for_function(
        "s => { const img = document.querySelector(s); return img && img.complete; }",
        arg=selector,
    )
    return page.eval_on_selector(selector, "img => img.naturalWidth")


@pytest.mark.usefixtures("_leave_no_trace")
def test_a_group_picture_and_the_group_library(page, live_server_url, world, tmp_path):
    base = live_server_url.format(host=world.host_a)
    photo = tmp_path / "club.png"
    photo.write_bytes(png_bytes(size=(600, 400)))
    _sign_in(page, base, "alice")

    page.goto(base + "/groups/new")
    page.get_by_label("Title").fill("Photo club (e2e)")
    page.get_by_role("button", name="Create").click()
    page.get_by_role("link", name="Edit the group").click()
    page.get_by_label("Picture").set_input_files(str(photo))
    page.get_by_role("button", name="Upload the picture").click()
    assert page.get_by_text("The picture is saved.").is_visible()
    page.goto(base + "/groups/")
    page.get_by_role("link", name="Photo club (e2e)").click()
    page.wait_for_selector("#group-picture")
    assert _shown_width(page, "#group-picture") == 256  # re-encoded as a 256-pixel square
    screenshot(page, "group-page-with-a-picture")

    page.goto(base + "/content/new?kind=link")
    page.get_by_label("Address (https://...)").fill("https://example.org/club-rules")
    page.get_by_label("Title").fill("Club rules (e2e)")
    page.get_by_role("button", name="Add").click()
    page.goto(base + "/groups/")
    page.get_by_role("link", name="Photo club (e2e)").click()
    page.get_by_role("link", name="The group's library").click()
    page.get_by_label("One of your items").select_option(label="Club rules (e2e)")
    page.get_by_role("button", name="Share with the group").click()
    assert page.get_by_text("\u201cClub rules (e2e)\u201d is shared with the group.").is_visible()
    assert page.locator("#items").get_by_role("link", name="Club rules (e2e)").is_visible()
    screenshot(page, "group-library")
