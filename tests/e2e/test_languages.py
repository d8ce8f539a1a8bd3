"""The main journeys' pages in Spanish and German, in a real browser: no English word of a
list leaks into any of them; and a right-to-left layout that does not break.

A person who chose the language (their browser asks for English: the choice wins) walks
the pages of every journey; the visitor's pages (sign-in, the platform site) follow the
browser's Accept-Language. Each page's visible text and its user-facing attributes
(title, aria-label, placeholder, alt) are searched for English words."""

from __future__ import annotations

import re
import uuid

import pytest
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot

# Words of the English interface that a translated page must not show. Case matters for
# the capitalised ones (labels, buttons); the small words catch English sentences.
ENGLISH = [
    "Sign in",
    "Sign out",
    "Search",
    "Home",
    "People",
    "Groups",
    "Library",
    "Messages",
    "Connections",
    "Notifications",
    "Welcome",
    "Upload",
    "Share",
    "Save",
    "Delete",
    "Edit",
    "Nothing",
    "Create",
    "Write",
    "Settings",
    "Comments",
    "Reply",
    "Send",
    "Next",
    "Back",
    "Manage",
    "Invite",
    "Explore",
    "Profile",
    "Activity",
    "Recent",
    "Menu",
    "the",
    "and",
    "with",
    "your",
    "you",
    "is",
    "are",
    "of",
    "for",
    "this",
    "yet",
    "ago",
]
LEAK = re.compile(r"\b(" + "|".join(re.escape(word) for word in ENGLISH) + r")\b")
# Names the test gives (people, groups, items) are not the interface's words.
OWN_WORDS = ("Alpha University", "Alice Archer", "Bob Baker", "Ada Admin")

PAGE_TEXT = """() => {
    let body = document.body.innerText;
    // Time zones are proper names ("Europe/Isle of Man"), the same in every language.
    for (const option of document.querySelectorAll("select[name=time_zone] option")) {
        body = body.split(option.textContent).join(" ");
    }
    const texts = [document.title, body];
    for (const el of document.querySelectorAll("[title], [aria-label], [placeholder], img[alt]")) {
        for (const name of ["title", "aria-label", "placeholder", "alt"]) {
            if (el.hasAttribute(name)) { texts.push(el.getAttribute(name)); }
        }
    }
    return texts.join("\\n");
}"""


def leaked(page) -> list[str]:
    text = page.evaluate(PAGE_TEXT)
    for own in OWN_WORDS:
        text = text.replace(own, "")
    return sorted({match.group(0) for match in LEAK.finditer(text)})


@pytest.fixture
def speaker(world, request, django_db_blocker):
    """A person of institution A who chose ``request.param`` as their language, with a
    group and an item of their own (all committed: the server is another process)."""
    from tenant_apps.content.services import content_create_document
    from tenant_apps.groups.services import group_create
    from tenant_apps.people.models import User
    from tenant_apps.people.services import user_create

    language = request.param
    username = f"lang-{language}-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        person = user_create(
            username=username,
            email=f"{username}@example.edu",
            password=PASSWORD,
            display_name="Lucía Weber",
        )
        User.objects.filter(pk=person.pk).update(
            language=language,
            department="Historia Geschichte",
            department_visibility="public",
            role="Docente Dozentin",
            role_visibility="public",
        )
        group = group_create(actor=person, title="Seminario Kolloquium")
        item = content_create_document(actor=person, title="Apuntes Notizen")
    yield {
        "language": language,
        "username": username,
        "group": group,
        "item": item,
        "public_id": person.public_id,
    }
    from tenant_apps.content.models import ContentItem
    from tenant_apps.groups.models import Group

    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        ContentItem.objects.filter(pk=item.pk).delete()
        Group.objects.filter(pk=group.pk).delete()
        User.objects.filter(pk=person.pk).delete()


@pytest.mark.parametrize("speaker", ["es", "de"], indirect=True)
def test_the_main_journeys_pages_show_no_english(browser, live_server_url, world, speaker):
    base = live_server_url.format(host=world.host_a)
    context = browser.new_context(
        viewport={"width": 1100, "height": 800}, locale="en-GB", bypass_csp=True
    )
    page = context.new_page()
    found: dict[str, list[str]] = {}
    try:
        # The visitor: the browser asks for the language.
        visitor = browser.new_context(locale=speaker["language"], bypass_csp=True)
        anonymous = visitor.new_page()
        for path in ("/", "/signin", "/password-reset", "/people/", "/groups/", "/world/"):
            anonymous.goto(base + path)
            found.update({f"visitor {path}": leaked(anonymous)} if leaked(anonymous) else {})
        platform = live_server_url.format(host="localhost")
        for path in ("/", "/find?q=Alpha", "/signup/"):
            anonymous.goto(platform + path)
            found.update({f"platform {path}": leaked(anonymous)} if leaked(anonymous) else {})
        visitor.close()

        # The person: their choice beats the browser's English.
        page.goto(base + "/signin")
        page.locator("#id_username").fill(speaker["username"])
        page.locator("#id_password").fill(PASSWORD)
        page.locator("form[action='/signin'] button[type=submit]").first.click()
        page.wait_for_url(base + "/")
        assert page.evaluate("document.documentElement.lang") == speaker["language"]
        item, group = speaker["item"].public_id, speaker["group"].public_id
        paths = [
            "/",
            "/people/",
            "/groups/",
            f"/groups/{group}",
            f"/groups/{group}/members",
            "/content/",
            "/content/shared",
            "/content/new?kind=file",
            "/content/new?kind=link",
            f"/content/{item}",
            f"/content/{item}/share",
            "/messages/",
            "/messages/new",
            "/connections/",
            "/notifications/",
            "/notifications/preferences",
            "/activity/",
            "/search/?q=Apuntes",
            f"/groups/{group}/library",
            "/world/",
            "/me/edit",
            f"/people/{speaker['public_id']}",
            "/groups/new",
        ]
        for path in paths:
            response = page.goto(base + path)
            assert response is not None and response.status < 400, (path, response.status)
            words = leaked(page)
            if words:
                found[path] = words
        screenshot(page, f"language-{speaker['language']}-profile-edit")
        # A form error, in the language too.
        page.goto(base + "/content/new?kind=link")
        page.locator("form button[type=submit]").last.click()
        page.wait_for_load_state()
        words = leaked(page)
        if words:
            found["/content/new?kind=link (errors)"] = words
    finally:
        context.close()
    assert found == {}, f"English leaked into {speaker['language']} pages: {found}"


@pytest.mark.parametrize("width", [1366, 390])
def test_a_right_to_left_layout_does_not_break(browser, live_server_url, world, width):
    """The pages lay out with logical CSS properties: flipped to dir="rtl" (what an Arabic
    or Hebrew catalogue turns on, see tests/platform/config/test_locale.py), nothing
    scrolls sideways and the header starts from the right."""
    context = browser.new_context(viewport={"width": width, "height": 844}, bypass_csp=True)
    page = context.new_page()
    try:
        base = live_server_url.format(host=world.host_a)
        for path in ("/signin", "/people/", "/groups/"):
            page.goto(base + path)
            page.evaluate("document.documentElement.setAttribute('dir', 'rtl')")
            page.wait_for_timeout(50)
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1], f"{path} scrolls sideways in RTL at {width}: {widths}"
            brand = page.locator(".site-header .brand").bounding_box()
            assert brand is not None and brand["x"] + brand["width"] > width / 2, (
                f"{path}: the brand should start on the right in RTL: {brand}"
            )
        screenshot(page, f"rtl-groups-{width}")
    finally:
        context.close()
