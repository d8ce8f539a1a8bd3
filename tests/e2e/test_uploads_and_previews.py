"""End to end in a real browser: many files dropped into the library at once (each with its
own progress and error), and a Word document previewed page by page by the worker."""

from __future__ import annotations

import os
import shutil
import time

import pytest
from django_tenants.utils import schema_context

from shared_apps.audit.services import Actor
from tenant_apps.content.models import ContentItem
from tenant_apps.content.services import library_settings_update
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot
from tests.tenant_apps.content.conftest import docx_bytes, png_bytes


def _sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


@pytest.fixture
def upload_limit(world, django_db_blocker):
    """The institution's upload limit for one test (50 kB), then the platform's default."""
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        library_settings_update(actor=Actor.system("e2e"), max_upload_bytes=50_000)
    yield 50_000
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        library_settings_update(actor=Actor.system("e2e"), max_upload_bytes=None)


def test_many_files_upload_at_once_each_with_its_progress_and_error(
    page, live_server_url, world, tmp_path, upload_limit, django_db_blocker
):
    base = live_server_url.format(host=world.host_a)
    files = []
    for number in (1, 2, 3):
        path = tmp_path / f"slide-{number}.png"
        path.write_bytes(png_bytes(colour=(number * 60, 20, 20), size=(80, 60)))
        files.append(str(path))
    too_big = tmp_path / "recording.bin"
    too_big.write_bytes(os.urandom(upload_limit + 10_000))
    files.append(str(too_big))

    _sign_in(page, base, "bob")
    page.goto(base + "/content/")
    zone = page.locator("#upload-zone")
    assert zone.get_by_text("Files (choose several, or drop them here)").is_visible()
    page.locator("#upload-files").set_input_files(files)
    zone.get_by_role("button", name="Upload").click()
    page.wait_for_function(
        "document.querySelectorAll('.upload-done, .upload-failed').length === 4", timeout=30000
    )
    done = zone.locator(".upload-done")
    assert done.count() == 3
    assert zone.locator(".upload-done progress").evaluate_all(
        "bars => bars.every(bar => bar.value === 100)"
    )
    failed = zone.locator(".upload-failed")
    assert failed.count() == 1
    assert "recording.bin" in failed.inner_text()
    assert "larger than this institution's limit" in failed.inner_text()
    assert zone.locator("#upload-summary").inner_text() == "3 of 4 uploaded, 1 failed."
    screenshot(page, "content-multi-upload")

    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        titles = set(
            ContentItem.objects.filter(created_by=world.bob).values_list("title", flat=True)
        )
    assert {"slide-1.png", "slide-2.png", "slide-3.png"} <= titles
    assert "recording.bin" not in titles

    zone.get_by_role("link", name="Uploaded: open slide-2.png").click()
    assert page.get_by_role("heading", name="slide-2.png").is_visible()


def test_files_dropped_on_the_box_upload_too(page, live_server_url, world, django_db_blocker):
    base = live_server_url.format(host=world.host_a)
    _sign_in(page, base, "bob")
    page.goto(base + "/content/")
    # A drop with two files, as the browser builds it from a drag out of the file manager.
    page.evaluate(
        """() => {
            const transfer = new DataTransfer();
            transfer.items.add(new File(["first notes"], "dropped-1.txt", {type: "text/plain"}));
            transfer.items.add(new File(["second notes"], "dropped-2.txt", {type: "text/plain"}));
            const zone = document.getElementById("upload-zone");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
        }"""
    )
    page.wait_for_function(
        "document.querySelectorAll('#upload-zone .upload-done').length === 2", timeout=30000
    )
    with django_db_blocker.unblock(), schema_context(world.tenant_a.schema_name):
        assert ContentItem.objects.filter(title__in=["dropped-1.txt", "dropped-2.txt"]).count() == 2


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_a_word_document_is_previewed_page_by_page(
    page, live_server_url, world, tmp_path, celery_worker
):
    base = live_server_url.format(host=world.host_a)
    document = tmp_path / "genetics-notes.docx"
    document.write_bytes(
        docx_bytes("\n".join(f"Line {n}: genes are made of DNA." for n in range(90)))
    )
    _sign_in(page, base, "bob")
    page.goto(base + "/content/new?kind=file")
    page.get_by_label("File").set_input_files(str(document))
    page.get_by_role("button", name="Upload").click()
    assert page.get_by_role("heading", name="genetics-notes.docx").is_visible()
    item_url = page.url

    deadline = time.monotonic() + 120  # the worker converts it with LibreOffice
    while time.monotonic() < deadline:
        if page.locator("#preview-pages img").count():
            break
        time.sleep(2)
        page.goto(item_url)
    pages = page.locator("#preview-pages img")
    assert pages.count() >= 2
    first = pages.first
    first.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 1000", arg=first.element_handle()
    )
    assert first.get_attribute("alt") == "Page 1 of genetics-notes.docx"
    assert page.locator("#page-count").inner_text().endswith("pages")
    screenshot(page, "content-office-preview")
