"""End to end in a real browser: suggestions under the header's search box, and the plain form."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


def test_a_member_finds_an_item_from_the_header_as_they_type(page, live_server_url, world):
    base = live_server_url.format(host=world.host_a)
    page.goto(base + "/signin")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")

    page.goto(base + "/content/new?kind=document")
    page.get_by_label("Title").fill("Zeolite crystal structures (e2e)")
    page.get_by_label("Visibility").select_option("loggedin")
    page.get_by_role("button", name="Add").click()
    assert page.get_by_role("heading", name="Zeolite crystal structures (e2e)").is_visible()
    item_url = page.url

    page.goto(base + "/people/")
    box = page.get_by_role("combobox", name="Search", exact=True)
    box.click()
    box.press_sequentially("zeoli", delay=40)
    option = page.get_by_role("option", name="Zeolite crystal structures (e2e)")
    option.wait_for(state="visible")
    screenshot(page, "search-suggestions")
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(item_url)

    # Enter without choosing a suggestion submits the plain GET form.
    box = page.get_by_role("combobox", name="Search", exact=True)
    box.fill("zeolite")
    box.press("Enter")  # nothing chosen from the list: the form is submitted
    page.wait_for_url(base + "/search/?q=zeolite")
    assert page.get_by_role("link", name="Zeolite crystal structures (e2e)").is_visible()
    assert page.locator("mark", has_text="Zeolite").first.is_visible()
    screenshot(page, "search-results")
