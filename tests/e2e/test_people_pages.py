"""End to end in a real browser: sign in, find a colleague, read their profile, sign out."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD
from tests.e2e.conftest import ROOT, screenshot

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def test_a_member_signs_in_browses_people_and_signs_out(page, live_server_url, world):
    base = live_server_url.format(host=world.host_a)
    page.goto(base + "/")
    assert page.title() == "Home - Alpha University"
    screenshot(page, "home-anonymous")

    page.get_by_role("navigation").get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")
    assert page.get_by_text("Welcome, Bob Baker").is_visible()

    page.get_by_role("navigation").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Alice Archer").click()
    assert page.get_by_role("heading", name="Alice Archer").is_visible()
    screenshot(page, "profile-of-a-colleague")
    html = page.content()
    assert "alice@example.edu" not in html and ">alice<" not in html

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(base + "/")
    assert page.get_by_role("navigation").get_by_role("link", name="Sign in").is_visible()


def test_the_sign_in_form_works_with_the_keyboard_alone(page, live_server_url, world):
    base = live_server_url.format(host=world.host_a)
    page.goto(base + "/signin")
    page.keyboard.type("bob")  # the username field has focus on arrival
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("alert").inner_text().strip() == (
        "The username or password is not correct."
    )
    screenshot(page, "sign-in-refused")


def test_an_unknown_host_shows_the_readable_404(page, live_server_url):
    response = page.goto(live_server_url.format(host="nosuch.localhost") + "/")
    assert response.status == 404
    assert page.get_by_role("heading", name="There is no institution at this address").is_visible()


@pytest.fixture
def alice_and_bob_connected(world, django_db_blocker):
    """Alice and Bob connected (committed in the shared world; removed after)."""
    from tenant_apps.connections.models import Connection
    from tenant_apps.connections.services import connection_accept, connection_invite

    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        connection = connection_accept(
            actor=world.bob, connection=connection_invite(actor=world.alice, person=world.bob)
        )
    yield
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        Connection.objects.filter(pk=connection.pk).delete()


@pytest.mark.usefixtures("alice_and_bob_connected")
def test_the_connections_tab_on_a_phone(browser, live_server_url, world):
    """A profile's Connections tab at 390 px: names and pictures only, accessible (axe: no
    serious or critical violation), nothing scrolls sideways."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    base = live_server_url.format(host=world.host_a)
    page.goto(base + "/signin")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")
    page.goto(f"{base}/people/{world.bob.public_id}")
    page.get_by_role("navigation", name="Profile").get_by_role("link", name="Connections").click()
    page.wait_for_url(f"{base}/people/{world.bob.public_id}/connections")
    listed = page.locator("#person-connections")
    assert listed.get_by_role("link", name="Alice Archer").is_visible()
    assert "alice@example.edu" not in page.content()
    screenshot(page, "profile-connections-phone")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => v.id)"""
    )
    assert violations == []
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    context.close()
