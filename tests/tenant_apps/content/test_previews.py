"""Previews of every common file: every page of a PDF and of an Office document
(LibreOffice), a poster frame and duration for video and audio (ffmpeg), in the worker's
pipeline; served through the permission rule."""

from __future__ import annotations

import io
import os
import shutil
import subprocess

import pytest
from django_tenants.utils import schema_context
from PIL import Image

from tenant_apps.blobs.models import Blob
from tenant_apps.content.models import ContentVersion, PreviewPage, Processing
from tenant_apps.content.processing import PreviewTimeout
from tenant_apps.content.services import (
    content_delete,
    content_purge,
    content_upload_file,
    content_version_add,
    content_version_restore,
)
from tenant_apps.content.tasks import ProcessingFailed, version_process
from tests.conftest import sign_in
from tests.tenant_apps.content.conftest import docx_bytes

pytestmark = pytest.mark.django_db
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed",
)


def pdf_pages_bytes(pages: int) -> bytes:
    """A PDF of ``pages`` pages, each with its number drawn large (pages differ)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument.new()
    for number in range(1, pages + 1):
        page = pdf.new_page(612, 792)
        # A filled square whose size depends on the page number: each page's image differs.
        path = raw.FPDFPageObj_CreateNewRect(72, 72, 20 + number * 5, 20 + number * 5)
        raw.FPDFPageObj_SetFillColor(path, 0, 0, 0, 255)
        raw.FPDFPath_SetDrawMode(path, raw.FPDF_FILLMODE_ALTERNATE, False)
        raw.FPDFPage_InsertObject(page.raw, path)
        raw.FPDFPage_GenerateContent(page.raw)
        page.close()
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


def media_bytes(tmp_path, name: str, *args: str) -> bytes:
    target = tmp_path / name
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", *args, str(target)], check=True, timeout=60
    )
    return target.read_bytes()


@pytest.fixture
def upload(world):
    def make(data: bytes, name: str, user=None):
        with schema_context(world.tenant_a.schema_name):
            item = content_upload_file(
                actor=user or world.alice, source=io.BytesIO(data), filename=name
            )
            return item, item.current_version

    return make


def _process(world, version) -> ContentVersion:
    with schema_context(world.tenant_a.schema_name):
        version_process(version_id=version.pk)
        return ContentVersion.objects.get(pk=version.pk)


def _png(response) -> Image.Image:
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def test_every_page_of_a_pdf_gets_an_image_served_through_the_permission_rule(
    upload, world, client_a, client_b, bearer
):
    item, version = upload(pdf_pages_bytes(3), "lecture.pdf")
    done = _process(world, version)
    assert done.preview_status == Processing.DONE and done.preview_blob_id
    assert (done.page_count, done.pages_rendered) == (3, 3)
    alice = bearer(world.alice, world.tenant_a)
    listed = client_a.get(f"/api/v1/content/{item.public_id}/pages/", **alice).json()
    assert listed["page_count"] == 3
    assert [page["number"] for page in listed["results"]] == [1, 2, 3]
    with _png(client_a.get(f"/api/v1/content/{item.public_id}/pages/2", **alice)) as image:
        assert image.width == 1000 and abs(image.height - 792 * 1000 / 612) <= 1
    with schema_context(world.tenant_a.schema_name):
        blobs = set(PreviewPage.objects.filter(version=done).values_list("blob_id", flat=True))
    assert len(blobs) == 3  # three different pages, three blobs
    assert client_a.get(f"/api/v1/content/{item.public_id}/pages/4", **alice).status_code == 404
    assert client_a.get(f"/api/v1/content/{item.public_id}/pages/0", **alice).status_code == 404
    bob = bearer(world.bob, world.tenant_a)
    charlie = bearer(world.charlie, world.tenant_b)
    for path in ("pages/", "pages/1"):
        assert client_a.get(f"/api/v1/content/{item.public_id}/{path}", **bob).status_code == 404
        answer = client_b.get(f"/api/v1/content/{item.public_id}/{path}", **charlie)
        assert answer.status_code == 404
        assert item.public_id not in answer.content.decode()
    assert client_a.get(f"/content/{item.public_id}/pages/1").status_code == 404  # anonymous
    sign_in(client_a, world.alice, world.tenant_a)
    assert client_a.get(f"/content/{item.public_id}/pages/1").status_code == 200
    sign_in(client_b, world.charlie, world.tenant_b)
    assert client_b.get(f"/content/{item.public_id}/pages/1").status_code == 404


def test_the_page_count_is_bounded_by_the_setting(upload, world, settings):
    settings.CONTENT_PREVIEW_MAX_PAGES = 2
    _item, version = upload(pdf_pages_bytes(5), "long.pdf")
    done = _process(world, version)
    assert (done.page_count, done.pages_rendered) == (5, 2)
    with schema_context(world.tenant_a.schema_name):
        assert PreviewPage.objects.filter(version=done).count() == 2


def test_the_item_page_shows_pages_lazily_ten_at_a_time(
    upload, world, client_a, django_assert_max_num_queries
):
    item, version = upload(pdf_pages_bytes(12), "twelve.pdf")
    _process(world, version)
    sign_in(client_a, world.alice, world.tenant_a)
    with django_assert_max_num_queries(40):
        page = client_a.get(f"/content/{item.public_id}").content.decode()
    assert page.count('loading="lazy"') == 10
    assert f"/content/{item.public_id}/pages/10" in page
    assert f"/content/{item.public_id}/pages/11" not in page
    assert 'id="pages-next"' in page and "?pages=11" in page
    assert "12 pages" in page
    rest = client_a.get(f"/content/{item.public_id}?pages=11").content.decode()
    assert f"/content/{item.public_id}/pages/12" in rest
    assert f"/content/{item.public_id}/pages/10" not in rest
    for bad in ("abc", "-4", "99999999999999999999999"):
        assert client_a.get(f"/content/{item.public_id}?pages={bad}").status_code == 200


def test_the_pages_list_costs_the_same_queries_whatever_the_page_count(
    upload, world, client_a, bearer, django_assert_max_num_queries
):
    alice = bearer(world.alice, world.tenant_a)
    for pages in (2, 20):
        item, version = upload(pdf_pages_bytes(pages), f"doc{pages}.pdf")
        _process(world, version)
        with django_assert_max_num_queries(8):
            listed = client_a.get(f"/api/v1/content/{item.public_id}/pages/", **alice)
        assert len(listed.json()["results"]) == pages


def test_deleting_an_item_releases_its_page_images(upload, world):
    item, version = upload(pdf_pages_bytes(2), "gone.pdf")
    done = _process(world, version)
    with schema_context(world.tenant_a.schema_name):
        blob_ids = list(PreviewPage.objects.filter(version=done).values_list("blob_id", flat=True))
        content_delete(actor=world.alice, item=item)
        content_purge(item=item)  # out of the trash: the page images lose their references
        assert set(Blob.objects.filter(pk__in=blob_ids).values_list("refs", flat=True)) == {0}


def test_restoring_a_version_brings_back_its_pages(upload, world):
    item, first = upload(pdf_pages_bytes(2), "v1.pdf")
    done = _process(world, first)
    with schema_context(world.tenant_a.schema_name):
        content_version_add(
            actor=world.alice, item=item, source=io.BytesIO(b"plain"), filename="v2.txt"
        )
        restored = content_version_restore(actor=world.alice, item=item, version=done)
        assert restored.pages_rendered == 2
        pages = list(restored.preview_pages.order_by("number").values_list("blob_id", flat=True))
        before = done.preview_pages.order_by("number").values_list("blob_id", flat=True)
        assert pages == list(before)
        assert set(Blob.objects.filter(pk__in=pages).values_list("refs", flat=True)) == {2}


def test_an_api_item_says_how_many_pages_it_has(upload, world, client_a, bearer):
    item, version = upload(pdf_pages_bytes(2), "two.pdf")
    _process(world, version)
    body = client_a.get(
        f"/api/v1/content/{item.public_id}", **bearer(world.alice, world.tenant_a)
    ).json()
    assert body["file"]["page_count"] == 2 and body["file"]["pages_rendered"] == 2
    assert body["file"]["pages_url"].endswith(f"/api/v1/content/{item.public_id}/pages/")
    assert body["file"]["duration"] is None


@needs_soffice
def test_a_word_document_is_rendered_page_by_page_through_libreoffice(
    upload, world, client_a, bearer
):
    paragraphs = "\n".join(f"Paragraph {n} about cell biology." for n in range(120))
    item, version = upload(docx_bytes(paragraphs), "notes.docx")
    done = _process(world, version)
    assert done.preview_status == Processing.DONE, done.processing_error
    assert done.page_count >= 2 and done.pages_rendered == done.page_count
    assert "Paragraph 3 about cell biology" in done.extracted_text
    response = client_a.get(
        f"/api/v1/content/{item.public_id}/pages/1", **bearer(world.alice, world.tenant_a)
    )
    with _png(response) as image:
        assert image.width == 1000
        # Text was drawn: the page is not blank.
        assert image.convert("L").getextrema()[0] < 128


@needs_soffice
def test_an_opendocument_spreadsheet_is_rendered(upload, world, tmp_path):
    source = tmp_path / "sheet.csv"
    source.write_text("Glucose,42\nFructose,17\n")
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "ods",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    _item, version = upload((tmp_path / "sheet.ods").read_bytes(), "sheet.ods")
    assert version.mime_type == "application/vnd.oasis.opendocument.spreadsheet"
    done = _process(world, version)
    assert done.preview_status == Processing.DONE and done.pages_rendered >= 1


@needs_soffice
def test_libreoffice_past_its_time_limit_is_killed_and_the_failure_recorded(
    upload, world, settings
):
    settings.CONTENT_PREVIEW_OFFICE_SECONDS = 0.05
    settings.CONTENT_PROCESSING_ATTEMPTS = 2
    _item, version = upload(docx_bytes("Slow"), "slow.docx")
    with pytest.raises(ProcessingFailed) as first:
        _process(world, version)
    assert isinstance(first.value.__cause__, PreviewTimeout)
    with schema_context(world.tenant_a.schema_name):
        waiting = ContentVersion.objects.get(pk=version.pk)
    assert waiting.preview_status == Processing.PENDING  # retried
    assert "time limit" in waiting.processing_error
    with pytest.raises(ProcessingFailed):
        _process(world, version)
    with schema_context(world.tenant_a.schema_name):
        failed = ContentVersion.objects.get(pk=version.pk)
    assert failed.preview_status == Processing.FAILED
    # Nothing of this process's LibreOffice runs is left (work directories carry our pid).
    leftovers = subprocess.run(
        ["pgrep", "-f", f"oae-process-{os.getpid()}-.*/profile"], capture_output=True, text=True
    )
    assert leftovers.stdout.strip() == ""


def test_a_missing_converter_is_recorded_as_the_failure(upload, world, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    _item, version = upload(docx_bytes("No office here"), "notes.docx")
    with pytest.raises(ProcessingFailed):
        _process(world, version)
    with schema_context(world.tenant_a.schema_name):
        failed = ContentVersion.objects.get(pk=version.pk)
    assert "soffice is not installed" in failed.processing_error


@needs_ffmpeg
def test_a_video_gets_a_poster_frame_and_its_duration(upload, world, tmp_path, client_a):
    data = media_bytes(
        tmp_path,
        "clip.mp4",
        "-f",
        "lavfi",
        "-i",
        "testsrc=duration=3:size=320x240:rate=10",
        "-c:v",
        "mpeg4",
    )
    item, version = upload(data, "clip.mp4")
    assert version.mime_type.startswith("video/")
    done = _process(world, version)
    assert done.preview_status == Processing.DONE and done.preview_blob_id
    assert done.media_duration == pytest.approx(3.0, abs=0.2)
    sign_in(client_a, world.alice, world.tenant_a)
    page = client_a.get(f"/content/{item.public_id}").content.decode()
    assert "length 0:03" in page
    with _png(client_a.get(f"/content/{item.public_id}/preview")) as poster:
        assert poster.size == (320, 240)
        assert len(set(poster.convert("RGB").getdata())) > 10  # a picture, not one colour


@needs_ffmpeg
def test_audio_gets_its_duration_without_a_picture(upload, world, tmp_path):
    data = media_bytes(tmp_path, "tone.wav", "-f", "lavfi", "-i", "sine=duration=2")
    _item, version = upload(data, "tone.wav")
    assert version.mime_type.startswith("audio/")
    done = _process(world, version)
    assert done.preview_status == Processing.DONE
    assert done.preview_blob_id is None
    assert done.media_duration == pytest.approx(2.0, abs=0.1)


@needs_ffmpeg
def test_a_broken_video_records_its_failure(upload, world, settings):
    settings.CONTENT_PROCESSING_ATTEMPTS = 1
    _item, version = upload(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200, "broken.mp4")
    if not version.mime_type.startswith("video/"):
        pytest.skip(f"libmagic calls it {version.mime_type}")
    with pytest.raises(ProcessingFailed):
        _process(world, version)
    with schema_context(world.tenant_a.schema_name):
        failed = ContentVersion.objects.get(pk=version.pk)
    assert failed.preview_status == Processing.FAILED and "ffprobe" in failed.processing_error


def test_the_sweep_removes_work_directories_of_dead_processes(settings, tmp_path):
    from tenant_apps.blobs.tempfiles import temp_files_sweep
    from tenant_apps.content.processing import work_directory

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    dead = subprocess.Popen(["true"])
    dead.wait()
    orphan = tmp_path / f"oae-process-{dead.pid}-abc"
    (orphan / "profile").mkdir(parents=True)
    (orphan / "page-00001.png").write_bytes(b"x")
    with work_directory() as mine:
        assert temp_files_sweep() == 1
        assert not orphan.exists()
        assert (tmp_path / mine).exists()  # its process still runs
    assert list(tmp_path.iterdir()) == []


def odt_linking(url: str) -> bytes:
    """An OpenDocument text whose picture is a link to ``url`` (LibreOffice would fetch it)."""
    import zipfile

    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
        'office:version="1.2"><office:body><office:text><text:p>Linked picture:'
        '<draw:frame draw:name="p" svg:width="2cm" svg:height="2cm">'
        f'<draw:image xlink:href="{url}" xlink:type="simple" xlink:show="embed" '
        'xlink:actuate="onLoad"/></draw:frame></text:p></office:text></office:body>'
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.text",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


@needs_soffice
def test_a_documents_linked_picture_is_never_fetched_by_the_worker(upload, world):
    """Plain LibreOffice fetches a linked picture while converting (SSRF from an upload);
    the worker's profile blocks links and sends any connection to a closed proxy."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_OPTIONS = do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/secret.png"
        _item, version = upload(odt_linking(url), "linked.odt")
        assert version.mime_type == "application/vnd.oasis.opendocument.text"
        done = _process(world, version)
    finally:
        server.shutdown()
        server.server_close()
    assert done.preview_status == Processing.DONE and done.pages_rendered == 1
    assert asked == []
