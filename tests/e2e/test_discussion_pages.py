"""End to end in a real browser: start a discussion mentioning a colleague through the picker,
reply from the other side, and answer that reply in its thread."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


@pytest.fixture
def _leave_no_trace(world, django_db_blocker):
    """The browser writes committed rows; the world is shared, so remove them afterwards."""
    yield
    from tenant_apps.activity.models import Activity
    from tenant_apps.discussions.models import Discussion

    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        Activity.objects.filter(discussion__isnull=False).delete()
        Discussion.objects.all().delete()


def _sign_in(page, base, username):
    page.goto(base + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


@pytest.mark.usefixtures("_leave_no_trace")
def test_a_discussion_with_a_reply(page, live_server_url, world):
    base = live_server_url.format(host=world.host_a)
    _sign_in(page, base, "alice")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Discussions").click()
    page.get_by_role("link", name="Start a discussion").click()
    page.get_by_label("Title").fill("Field trip")
    page.get_by_label("What would you like to discuss?").fill("Where shall we go in May?")
    page.get_by_label("Mention people").fill("bob")
    suggestion = page.locator("#mentions-suggestions").get_by_text("Bob Baker")
    suggestion.wait_for()
    suggestion.click()
    page.get_by_role("button", name="Start the discussion").click()
    page.get_by_role("heading", name="Field trip").wait_for()
    assert page.get_by_text("Where shall we go in May?").is_visible()
    assert page.locator("#topic").get_by_role("link", name="Bob Baker").is_visible()
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, base, "bob")
    nav.get_by_role("link", name="Discussions").click()
    page.get_by_role("link", name="Field trip").click()
    page.get_by_label("Your reply").fill("The botanical garden!")
    page.get_by_role("button", name="Post the reply").click()
    page.get_by_text("Your reply is posted.").wait_for()
    assert page.locator("#replies").get_by_text("The botanical garden!").is_visible()
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, base, "alice")
    nav.get_by_role("link", name="Discussions").click()
    page.get_by_role("link", name="Field trip").click()
    page.get_by_role("link", name="Reply to this").click()
    page.get_by_label("Your reply").fill("Good idea, I will ask.")
    page.get_by_role("button", name="Post the reply").click()
    page.get_by_text("Your reply is posted.").wait_for()
    answer = page.locator("#replies article.depth-1")
    assert answer.get_by_text("Good idea, I will ask.").is_visible()
    assert answer.get_by_text("in reply to").is_visible()
    screenshot(page, "discussion-with-threaded-replies")
    html = page.content()
    assert "bob@example.edu" not in html and ">bob<" not in html
