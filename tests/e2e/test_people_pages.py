"""End to end in a real browser: sign in, find a colleague, read their profile, sign out."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


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
