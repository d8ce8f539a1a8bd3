"""The product's journeys in a real browser, at desktop (1366x900) and phone (390x844) sizes:
a student shares an item with a colleague who replies, an institution admin gets started,
a platform admin suspends and resumes an institution, a newcomer finds the platform's way
in (sign-up, the confirmation mail from a real SMTP server, the new institution's first
admin setting a password, signing in and uploading a first file). On every page: a
screenshot (test-artifacts/journey-*.png), axe-core (from the npm lock) finding no serious
or critical violation, and at 390 px no horizontal scrolling."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from shared_apps.audit.services import Actor
from tests.conftest import PASSWORD
from tests.e2e.conftest import ROOT, mail_to, screenshot
from tests.e2e.two_factor import enrol_in_page

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture(params=list(SIZES))
def size(request) -> str:
    return request.param


@pytest.fixture
def tab(browser, size):
    """A page at the journey's size. CSP is bypassed for the injected axe-core only."""
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    page.size_name = size
    yield page
    context.close()


def check(page, name: str) -> None:
    """Screenshot, accessibility (axe: no serious or critical violation), no sideways scroll."""
    page.wait_for_load_state()
    screenshot(page, f"journey-{name}-{page.size_name}")
    if not AXE.exists():
        pytest.fail("axe-core is missing: make test runs npm ci in frontend/")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({id: v.id, help: v.help,
                              nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" "))}));
        }"""
    )
    assert violations == [], f"{name} ({page.size_name}): {json.dumps(violations, indent=1)}"
    if page.size_name == "phone":
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"{name} scrolls sideways at 390 px: {widths}"


def go(page, locator) -> None:
    """Click something that loads another page, and wait until that page has loaded."""
    with page.expect_navigation():
        locator.click()


def _menu(page):
    """The main navigation: behind the Menu button on a phone (opened), inline otherwise."""
    menu = page.locator("details.nav-phone > summary")
    if menu.is_visible():
        menu.click()
        return page.locator("details.nav-phone nav")
    return page.locator("nav.nav-wide")


def nav(page, name: str) -> None:
    go(page, _menu(page).get_by_role("link", name=name, exact=True))


def sign_out(page) -> None:
    go(page, _menu(page).get_by_role("button", name="Sign out"))


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


@pytest.fixture
def _leave_no_trace(world, django_db_blocker):
    """The browser commits rows in the shared world: remove them (and undo the admin's
    colour, the suspension) afterwards, whatever the outcome."""
    yield
    from shared_apps.signup.models import SignupApplication
    from tenant_apps.content.models import ContentItem
    from tenant_apps.groups.models import Group
    from tenant_apps.institution.services import institution_profile_set
    from tenant_apps.messaging.models import Thread
    from tenant_apps.people.models import User
    from tenants.models import Tenant, TenantStatus
    from tenants.services import tenant_resume

    with django_db_blocker.unblock():
        with schema_context(world.tenant_a.schema_name):
            for model in (ContentItem, Group, Thread):
                model.objects.all().delete()
            User.objects.filter(username__startswith="e2e-").delete()
            institution_profile_set(name="Alpha University", primary_colour="#1f4e8c")
        connection.set_schema_to_public()
        # A raw delete: the cascade would look for tenant tables in the public schema.
        root = User.objects.filter(username="e2e-root")
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.filter(user__in=root).delete()  # the console's second factor
        StaticDevice.objects.filter(user__in=root).delete()
        root._raw_delete(root.db)
        SignupApplication.objects.all().delete()
        beta = Tenant.objects.get(pk=world.tenant_b.pk)
        if beta.status != TenantStatus.ACTIVE:
            tenant_resume(tenant=beta, actor=Actor.cli())


@pytest.mark.usefixtures("_leave_no_trace")
def test_a_student_shares_an_item_and_a_colleague_replies(tab, live_server_url, world, tmp_path):
    page, base = tab, live_server_url.format(host=world.host_a)
    notes = tmp_path / "lab-notes.txt"
    notes.write_text("Week 1: cells.\n")
    page.goto(base + "/")
    check(page, "home-anonymous")
    sign_in(page, base, "alice")
    expect(page.get_by_role("heading", name="Welcome, Alice Archer")).to_be_visible()
    check(page, "dashboard")

    nav(page, "Library")
    check(page, "library")
    go(page, page.get_by_role("link", name="Upload a file").first)
    check(page, "upload-form")
    page.get_by_label("File").set_input_files(str(notes))
    page.get_by_label("Title").fill("Lab notes (e2e)")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="Lab notes (e2e)")).to_be_visible()
    expect(page.locator("#audience")).to_have_text("Only you")
    check(page, "item-of-its-owner")

    # The picker: a name typed, a suggestion (name only) ticked.
    picker = page.get_by_label("Share with people or groups")
    picker.fill("bob")
    suggestion = page.locator("#principals-suggestions").get_by_text("Bob Baker")
    suggestion.wait_for()
    assert "bob@example.edu" not in page.locator("#principals-suggestions").inner_html()
    check(page, "picker-suggestions")
    suggestion.click()
    expect(page.locator("#principals-chosen").get_by_text("Bob Baker")).to_be_visible()
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.get_by_text("Shared.", exact=True)).to_be_visible()
    expect(page.locator("#audience")).to_have_text("Shared with Bob Baker")
    item_url = page.url
    sign_out(page)

    sign_in(page, base, "bob")
    shared = page.locator("section", has=page.get_by_role("heading", name="Shared with me"))
    shared.get_by_role("link", name="Lab notes (e2e)").click()
    expect(page.locator("#audience")).to_have_text("Shared with you")
    page.get_by_label("Comment", exact=True).fill("Page 2 has the diagram.")
    page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator("#comments .comment-body", has_text="Page 2 has the diagram.")
    expect(comment).to_be_visible()
    check(page, "item-shared-with-me")
    nav(page, "Messages")
    check(page, "messages")
    go(page, page.get_by_role("link", name="Write a message"))
    page.get_by_label("To").fill("Alice Archer")  # no script needed: the name resolves
    page.get_by_label("Subject").fill("Your lab notes")
    page.get_by_label("Message").fill("Thanks for sharing them.")
    check(page, "compose")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Your lab notes")).to_be_visible()
    check(page, "thread")
    sign_out(page)

    sign_in(page, base, "alice")
    expect(page.get_by_role("link", name="Your lab notes")).to_be_visible()
    page.goto(item_url)
    page.get_by_text("Reply", exact=True).first.click()
    page.get_by_label("Reply", exact=True).fill("Thanks, Bob.")
    page.get_by_role("button", name="Reply", exact=True).click()
    expect(page.locator("#comments .comment-body", has_text="Thanks, Bob.")).to_be_visible()
    nav(page, "People")
    check(page, "people")
    go(page, page.get_by_role("link", name="Bob Baker"))
    check(page, "profile")
    go(page, page.get_by_role("navigation", name="Profile").get_by_role("link", name="Groups"))
    check(page, "profile-groups")
    nav(page, "Connections")
    check(page, "connections")


@pytest.mark.usefixtures("_leave_no_trace")
def test_a_new_institution_admin_gets_started(tab, live_server_url, world):
    page, base = tab, live_server_url.format(host=world.host_a)
    sign_in(page, base, "alpha-admin")
    checklist = page.locator("section", has=page.get_by_role("heading", name="Get Alpha"))
    expect(checklist.get_by_role("link", name="Add your logo and colour")).to_be_visible()
    check(page, "admin-dashboard")

    go(page, checklist.get_by_role("link", name="Add your logo and colour"))
    check(page, "institution-settings")
    page.get_by_label("Primary colour").fill("#f5e663")  # a light yellow
    go(page, page.get_by_role("button", name="Save", exact=True))
    ink = page.evaluate("getComputedStyle(document.querySelector('.site-header .brand')).color")
    assert ink == "rgb(0, 0, 0)"  # black on yellow, not white (1.3:1)
    check(page, "institution-settings-yellow")

    page.goto(base + "/")
    go(page, page.get_by_role("link", name="Choose how people sign in"))
    check(page, "signin-methods")
    page.goto(base + "/")
    go(page, page.get_by_role("link", name="Invite people"))
    check(page, "invite")
    page.locator("#id_email").fill("e2e-dora@example.edu")
    page.locator("#id_display_name").fill("Dora Diaz")
    page.locator("#id_username").fill("e2e-dora")
    go(page, page.get_by_role("button", name="Invite"))
    page.goto(base + "/")
    go(page, page.get_by_role("link", name="Create the first group"))
    page.get_by_label("Title").fill("Staff room (e2e)")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Staff room (e2e)")).to_be_visible()
    check(page, "group-of-its-manager")
    page.get_by_label("Invite people").fill("Bob Baker")
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.get_by_text("Bob Baker is invited.")).to_be_visible()
    nav(page, "Manage")
    check(page, "manage-people")
    page.goto(base + "/manage/audit")
    check(page, "manage-audit")


@pytest.mark.usefixtures("_leave_no_trace")
def test_a_platform_admin_suspends_and_resumes_an_institution(
    tab, live_server_url, world, django_db_blocker
):
    from tenant_apps.people.services import user_create

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        user_create(username="e2e-root", password=PASSWORD, is_admin=True)
    console = live_server_url.format(host="localhost") + "/console/"
    beta = live_server_url.format(host=world.host_b)
    page = tab
    page.goto(console)
    check(page, "console-sign-in")
    page.get_by_label("Username").fill("e2e-root")
    page.get_by_label("Password").fill(PASSWORD)
    go(page, page.get_by_role("button", name="Sign in"))
    # Platform admins always sign in with a second factor: the first time, they enrol.
    check(page, "console-two-factor-enrol")
    enrol_in_page(page)
    go(page, page.get_by_role("link", name="Continue"))
    check(page, "console-institutions")
    go(page, page.get_by_role("link", name="Beta College"))
    check(page, "console-institution")
    go(page, page.get_by_role("button", name="Suspend"))
    expect(page.locator("h1 .status")).to_have_text(re.compile("Suspended|Read-only"))

    reader = page.context.new_page()
    reader.size_name = page.size_name
    sign_in(reader, beta, "charlie")
    expect(reader.get_by_text("Beta College is read-only for now")).to_be_visible()
    reader.goto(beta + "/content/new?kind=link")
    expect(reader.get_by_role("button", name="Add")).to_be_disabled()
    check(reader, "suspended-institution")
    reader.close()

    go(page, page.get_by_role("button", name="Resume"))
    expect(page.locator("h1 .status")).to_have_text("Active")
    menu = page.locator("details.nav-phone > summary")
    if menu.is_visible():
        menu.click()
    go(page, page.get_by_role("link", name="Audit log"))
    check(page, "console-audit")


@pytest.fixture
def _newcomers_institution_purged(django_db_blocker):
    """The institution a newcomer's sign-up creates goes the product's way afterwards
    (deleted, then purged: its schema, its files, its row), whatever the outcome."""
    yield
    from shared_apps.signup.models import SignupApplication
    from tenants.models import Tenant
    from tenants.services import tenant_delete, tenant_purge

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        SignupApplication.objects.filter(slug__startswith=NEWCOMER_SLUG).delete()
        for tenant in Tenant.objects.filter(slug__startswith=NEWCOMER_SLUG):
            tenant_delete(tenant=tenant, actor=Actor.cli())
            tenant_purge(tenant=tenant, actor=Actor.cli(), force=True)
        assert not Tenant.objects.filter(slug__startswith=NEWCOMER_SLUG).exists()


NEWCOMER_SLUG = "gamma-e2e"


@pytest.mark.usefixtures("_leave_no_trace", "_newcomers_institution_purged")
def test_a_newcomer_finds_the_way_in(tab, live_server_url, world, mailbox, tmp_path):
    page = tab
    site = live_server_url.format(host="localhost")
    page.goto(site + "/")
    expect(page.get_by_role("link", name="Sign up your institution")).to_be_visible()
    check(page, "platform-home")
    go(page, page.get_by_role("link", name="Find your institution").first)
    page.get_by_label("Your institution's name, or your e-mail address there").fill("alpha")
    go(page, page.get_by_role("button", name="Find"))
    expect(page.get_by_role("link", name="Alpha University")).to_be_visible()
    check(page, "find")
    page.goto(site + "/signup/")
    check(page, "sign-up")
    slug, address = f"{NEWCOMER_SLUG}-{page.size_name}", f"gail-{page.size_name}@gamma.example"
    page.get_by_label("Institution name").fill("Gamma Institute")
    page.get_by_label("Subdomain").fill(slug)
    page.get_by_label("Your name").fill("Gail Grant")
    page.get_by_label("Your e-mail address").fill(address)
    go(page, page.get_by_role("button", name="Send me the confirmation link"))
    check(page, "sign-up-sent")
    page.goto(live_server_url.format(host="nosuch.localhost") + "/")
    check(page, "unknown-host")
    go(page, page.get_by_role("link", name="Find your institution").first)
    expect(page.get_by_role("heading", name="Find your institution")).to_be_visible()

    # The confirmation mail, as the SMTP server received it: its link, followed.
    mail = mail_to(mailbox, address)
    assert mail["Subject"] == "Confirm your institution's sign-up"
    link = re.search(r"http://\S+/signup/confirm/\S+", mail.get_payload(decode=True).decode())
    assert link, mail.get_payload()
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Create your institution")).to_be_visible()
    check(page, "sign-up-confirm")
    go(page, page.get_by_role("button", name="Create my institution"))
    # On the new institution's own address: the admin chooses a password.
    gamma = live_server_url.format(host=f"{slug}.localhost")
    assert page.url.startswith(gamma + "/welcome/")
    expect(page.get_by_role("heading", name="Welcome to Gamma Institute")).to_be_visible()
    check(page, "welcome-set-password")
    page.locator("#id_new_password1").fill(PASSWORD)
    page.locator("#id_new_password2").fill(PASSWORD)
    go(page, page.get_by_role("button", name="Set my password and sign in"))
    expect(page.get_by_role("heading", name="Welcome, Gail Grant")).to_be_visible()
    sign_out(page)

    # Signing in as the new admin: the first-run checklist, then a first upload.
    sign_in(page, gamma, f"gail-{page.size_name}")
    checklist = page.locator("section", has=page.get_by_role("heading", name="Get Gamma"))
    expect(checklist.get_by_role("link", name="Invite people")).to_be_visible()
    check(page, "newcomer-dashboard")
    go(page, page.get_by_role("link", name="Upload a file").first)
    first = tmp_path / "syllabus.txt"
    first.write_text("Week 1: welcome.\n")
    page.get_by_label("File").set_input_files(str(first))
    page.get_by_label("Title").fill("Syllabus (e2e)")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="Syllabus (e2e)")).to_be_visible()
    check(page, "newcomer-first-upload")
    page.goto(gamma + "/")
    recent = page.locator("section", has=page.get_by_role("heading", name="My recent items"))
    expect(recent.get_by_role("link", name="Syllabus (e2e)")).to_be_visible()


def test_axe_core_comes_from_the_npm_lock():
    lock = json.loads((ROOT / "frontend" / "package-lock.json").read_text())
    assert "node_modules/axe-core" in lock["packages"]
    assert Path(AXE).exists()
