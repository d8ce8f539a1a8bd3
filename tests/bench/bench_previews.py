#!/usr/bin/env python3
"""Previews in the worker: a 20-page Word document and a 100-page PDF (reported).

Each round uploads the file through the content service (as a person would) and times
``version_process``, the function the worker's ``content.process_version`` task runs: the
copy from S3, the conversion (LibreOffice for the docx), every page's image, the text
for search, and writing the page images to S3 and their rows. The same round also times
the bare tools on the same file as baselines: LibreOffice's conversion alone (docx) and
pypdfium2 rendering every page to PNG alone (PDF), so that what the pipeline adds shows.
The item is deleted after each round so that the next one writes its page images again.
``BENCH_PREVIEW_ROUNDS`` (default 3) rounds; the median counts. Nothing is mocked: the
bench profile's PostgreSQL and S3, Debian's LibreOffice.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django_tenants.utils import schema_context  # noqa: E402

from shared_apps.audit.services import Actor  # noqa: E402
from tenant_apps.content.models import ContentVersion  # noqa: E402
from tenant_apps.content.processing import render_pdf_pages  # noqa: E402
from tenant_apps.content.services import content_delete, content_upload_file  # noqa: E402
from tenant_apps.content.tasks import version_process  # noqa: E402
from tenant_apps.people.models import User  # noqa: E402
from tenant_apps.people.services import user_create  # noqa: E402
from tenants.models import Tenant  # noqa: E402
from tenants.services import tenant_create  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_PREVIEW_ROUNDS", "3"))
PARAGRAPH = (
    "Cells are the basic unit of life. The membrane separates the inside of the cell from "
    "its surroundings and controls what enters and leaves; the nucleus holds the genetic "
    "material, and mitochondria turn nutrients into energy the cell can use. "
)


def _html(pages: int) -> str:
    body = []
    for number in range(1, pages + 1):
        style = ' style="page-break-before: always"' if number > 1 else ""
        body.append(f"<h1{style}>Chapter {number}</h1>")
        body.extend(f"<p>{PARAGRAPH * 2}</p>" for _ in range(4))
    return "<html><body>" + "".join(body) + "</body></html>"


def _soffice(source: Path, target: str, work: Path) -> Path:
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{work}/profile",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(work),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return work / f"{source.stem}.{target.split(':')[0]}"


def make_files(work: Path) -> tuple[bytes, bytes]:
    """A 20-page .docx and a 100-page PDF of text, both written by LibreOffice from HTML."""
    import pypdfium2 as pdfium

    (work / "twenty.html").write_text(_html(20))
    (work / "hundred.html").write_text(_html(100))
    docx = _soffice(work / "twenty.html", "docx:MS Word 2007 XML", work).read_bytes()
    pdf_path = _soffice(work / "hundred.html", "pdf:writer_web_pdf_Export", work)
    pages = len(pdfium.PdfDocument(str(pdf_path)))
    print(f"  made a {len(docx):,}-byte docx and a {pages}-page PDF", flush=True)
    return docx, pdf_path.read_bytes()


def time_pipeline(tenant: Tenant, owner: User, data: bytes, name: str) -> tuple[float, int]:
    with schema_context(tenant.schema_name):
        item = content_upload_file(actor=owner, source=io.BytesIO(data), filename=name)
        started = time.perf_counter()
        version_process(version_id=item.current_version.pk)
        elapsed = time.perf_counter() - started
        version = ContentVersion.objects.get(pk=item.current_version.pk)
        if version.preview_status != "done":
            sys.exit(f"{name}: preview {version.preview_status}: {version.processing_error}")
        pages = version.pages_rendered
        content_delete(actor=owner, item=item)
    return elapsed, pages


def time_conversion(data: bytes, work: Path) -> float:
    source = work / "bare.docx"
    source.write_bytes(data)
    out = work / "bare"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    started = time.perf_counter()
    _soffice(source, "pdf", out)
    return time.perf_counter() - started


def time_rendering(data: bytes, work: Path) -> float:
    source = work / "bare.pdf"
    source.write_bytes(data)
    out = work / "pages"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    started = time.perf_counter()
    render_pdf_pages(str(source), str(out))
    return time.perf_counter() - started


def main() -> int:
    if shutil.which("soffice") is None:
        print("  LibreOffice (soffice) is not installed: skipped")
        return 0
    tenant = Tenant.objects.filter(slug="previews").first() or tenant_create(
        slug="previews", name="Previews", actor=Actor.system("bench")
    )
    with schema_context(tenant.schema_name):
        owner = User.objects.filter(username="reader").first() or user_create(
            username="reader", display_name="Reader"
        )
    with tempfile.TemporaryDirectory(prefix="oae-bench-previews-") as tmp:
        work = Path(tmp)
        docx, pdf = make_files(work)
        times: dict[str, list[float]] = {k: [] for k in ("docx", "soffice", "pdf", "pdfium")}
        pages: dict[str, int] = {}
        for round_number in range(ROUNDS):
            elapsed, pages["docx"] = time_pipeline(tenant, owner, docx, "twenty.docx")
            times["docx"].append(elapsed)
            times["soffice"].append(time_conversion(docx, work))
            elapsed, pages["pdf"] = time_pipeline(tenant, owner, pdf, "hundred.pdf")
            times["pdf"].append(elapsed)
            times["pdfium"].append(time_rendering(pdf, work))
            print(f"  round {round_number + 1}/{ROUNDS} done", flush=True)
    median = {key: statistics.median(values) for key, values in times.items()}
    print(f"{'case':<44}{'median s':>10}{'pages':>8}")
    print(
        f"{'20-page docx, the worker (version_process)':<44}{median['docx']:>10.2f}"
        f"{pages['docx']:>8}"
    )
    print(f"{'  baseline: LibreOffice docx->pdf alone':<44}{median['soffice']:>10.2f}")
    print(
        f"{'100-page PDF, the worker (version_process)':<44}{median['pdf']:>10.2f}{pages['pdf']:>8}"
    )
    print(f"{'  baseline: pypdfium2 renders the pages alone':<44}{median['pdfium']:>10.2f}")
    print("reported (no goal): the worker's time per document with its same-run baselines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
