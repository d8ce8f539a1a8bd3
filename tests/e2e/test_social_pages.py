"""End to end in a real browser: create a group, message a colleague from their profile,
and read and answer it from the other side."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


@pytest.fixture
def _leave_no_trace(world, django_db_blocker):
    """The browser writes committed rows; the world is shared, so remove them afterwards."""
    yield
    from tenant_apps.connections.models import Block, Connection
    from tenant_apps.groups.models import Group
    from tenant_apps.messaging.models import Thread

    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        for model in (Thread, Group, Connection, Block):
            model.objects.all().delete()


def _sign_in(page, base, username):
    page.goto(base + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


@pytest.mark.usefixtures("_leave_no_trace")
def test_a_group_and_a_conversation(page, live_server_url, world):
    base = live_server_url.format(host=world.host_a)
    _sign_in(page, base, "alice")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Groups").click()
    page.get_by_role("link", name="Create a group").click()
    page.get_by_label("Title").fill("Reading circle")
    page.get_by_label("Description").fill("Books we read together.")
    page.get_by_label("How people join").select_option("open")
    page.get_by_role("button", name="Create").click()
    page.get_by_role("heading", name="Reading circle").wait_for()  # the group's page loads
    assert page.get_by_text("You are a manager of this group.").is_visible()
    screenshot(page, "group-page-of-its-manager")

    nav.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Bob Baker").click()
    page.get_by_role("link", name="Send a message").click()
    page.get_by_label("Subject").fill("Join the reading circle?")
    page.get_by_label("Message").fill("We meet on Thursdays.")
    page.get_by_role("button", name="Send").click()
    assert page.get_by_role("heading", name="Join the reading circle?").is_visible()
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, base, "bob")
    nav.get_by_role("link", name="Messages").click()
    assert page.get_by_role("link", name="Inbox 1 unread").is_visible()
    screenshot(page, "inbox-with-an-unread-thread")
    page.get_by_role("link", name="Join the reading circle?").click()
    assert page.get_by_text("We meet on Thursdays.").is_visible()
    page.get_by_label("Your reply").fill("Count me in.")
    page.get_by_role("button", name="Reply").click()
    page.get_by_text("Your reply is sent.").wait_for()  # the next page, not the old one
    assert page.get_by_text("Count me in.").is_visible()
    screenshot(page, "thread-with-a-reply")
    html = page.content()
    assert "alice@example.edu" not in html and ">alice<" not in html
