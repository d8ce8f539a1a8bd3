"""End to end in a real browser, with a real Celery worker: a person changes their password,
asks for their data (the page follows the archive's progress until it can be downloaded),
and asks for their account's erasure, then cancels it. Without a line of JavaScript."""

from __future__ import annotations

import json
import zipfile

import pytest
from django_tenants.utils import schema_context

from tenant_apps.people.models import User
from tenant_apps.people.services import user_create
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot

NEW_PASSWORD = "a brand new horse battery staple"


@pytest.fixture
def zoe(world, django_db_blocker):
    """A person of her own, committed (gunicorn and the worker read the database), removed
    afterwards with everything hanging on her."""
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        person = user_create(
            username="zoe-e2e", email="zoe@example.edu", password=PASSWORD, display_name="Zoe Zed"
        )
        User.objects.filter(pk=person.pk).update(listed_in_directory=False)
    yield person
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        User.objects.filter(pk=person.pk).delete()


def test_a_person_manages_their_account_and_takes_their_data(
    page, live_server_url, world, zoe, celery_worker
):
    base = live_server_url.format(host=world.host_a)
    page.goto(base + "/signin")
    page.get_by_label("Username").fill("zoe-e2e")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")

    page.get_by_role("navigation").get_by_role("link", name="Account").first.click()
    page.wait_for_url(base + "/account/")
    password = page.locator("section", has=page.get_by_role("heading", name="Password"))
    password.get_by_label("Current password").fill(PASSWORD)
    password.get_by_label("New password").fill(NEW_PASSWORD)
    password.get_by_role("button", name="Change password").click()
    assert page.get_by_text("Your password is changed").is_visible()

    page.get_by_role("button", name="Ask for an archive").click()
    assert page.get_by_text("Your archive is being built").is_visible()
    screenshot(page, "account-export-building")
    # The page refreshes itself while the worker builds the archive.
    download_link = page.get_by_role("link", name="Download")
    download_link.wait_for(timeout=90_000)
    with page.expect_download() as download:
        download_link.click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert json.loads(archive.read("profile.json"))["username"] == "zoe-e2e"
    screenshot(page, "account")

    page.get_by_text("Delete my account", exact=True).last.click()  # opens the <details>
    page.get_by_role("button", name="Yes, erase my account").click()
    assert page.get_by_text("will be erased on").first.is_visible()
    page.get_by_role("button", name="Cancel the erasure").click()
    assert page.get_by_text("The erasure of your account is cancelled").is_visible()
