"""Previews of a version's bytes: a PNG thumbnail, page images, a poster frame and duration.

- Images go through Pillow.
- PDFs through pypdfium2: the first page is the thumbnail, and every page up to
  CONTENT_PREVIEW_MAX_PAGES becomes a page image (PNG, PAGE_WIDTH pixels wide).
- Office documents (Word, Excel, PowerPoint, OpenDocument, RTF) are first converted to
  PDF by LibreOffice headless (Debian's ``libreoffice-*-nogui``), each run with its own
  profile directory and killed with its process group after
  CONTENT_PREVIEW_OFFICE_SECONDS, then rendered like a PDF.
- Video and audio go through ffprobe (the duration) and ffmpeg (a poster frame: a
  frame a little into a video, or an audio file's cover picture), each killed after
  CONTENT_PREVIEW_MEDIA_SECONDS.

The text of files for search is ``tenant_apps.content.extraction``'s. Each function
reads from a local file and writes page images to files in a private temporary
directory, so that a 100-page document is never held in memory at once.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

# Text extraction lives in its own module; these names stay importable from here.
from tenant_apps.content.extraction import (  # noqa: F401
    DOCX,
    MAX_TEXT,
    PDF_TYPES,
    PPTX,
    XLSX,
    ExtractionRefused,
    can_extract,
    extract_text,
)

PREVIEW_SIZE = (600, 600)
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff"}


PAGE_WIDTH = 1000  # pixels of a page image (a page is read on the item's page)
OFFICE_TYPES = {
    DOCX: "docx",
    PPTX: "pptx",
    XLSX: "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.ms-powerpoint": "ppt",
    "application/rtf": "rtf",
    "text/rtf": "rtf",
}


class PreviewToolMissing(Exception):
    """The program a preview needs (soffice, ffmpeg, ffprobe) is not installed."""


class PreviewTimeout(Exception):
    """A conversion ran past its time limit and was killed."""


@dataclass
class Page:
    path: str
    width: int
    height: int


@dataclass
class Preview:
    """What rendering made: a thumbnail PNG, page images (files), a media duration."""

    thumbnail: bytes | None = None
    pages: list[Page] = field(default_factory=list)
    page_count: int = 0
    duration: float | None = None

    @property
    def is_empty(self) -> bool:
        return self.thumbnail is None and not self.pages and self.duration is None


def is_media(mime: str) -> bool:
    return mime.startswith("video/") or mime.startswith("audio/")


def can_preview(mime: str) -> bool:
    return mime in IMAGE_TYPES or mime in PDF_TYPES or mime in OFFICE_TYPES or is_media(mime)


def _png(image) -> bytes:
    from PIL import Image

    image.thumbnail(PREVIEW_SIZE)
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    del Image
    return out.getvalue()


def _thumbnail_of(page) -> bytes:
    width, height = page.get_size()
    scale = min(PREVIEW_SIZE[0] / width, PREVIEW_SIZE[1] / height, 2.0)
    return _png(page.render(scale=scale).to_pil())


def render_pdf_pages(path: str, out_dir: str, *, max_pages: int | None = None) -> Preview:
    """The first page's thumbnail and up to ``max_pages`` page images (PNG files in
    ``out_dir``), each PAGE_WIDTH pixels wide (narrower pages are not enlarged past 2x)."""
    import pypdfium2 as pdfium

    limit = settings.CONTENT_PREVIEW_MAX_PAGES if max_pages is None else max_pages
    pdf = pdfium.PdfDocument(path)
    try:
        preview = Preview(page_count=len(pdf))
        for index in range(min(len(pdf), limit)):
            page = pdf[index]
            try:
                if index == 0:
                    preview.thumbnail = _thumbnail_of(page)
                width, _height = page.get_size()
                image = page.render(scale=min(PAGE_WIDTH / width, 2.0)).to_pil()
                target = os.path.join(out_dir, f"page-{index + 1:05d}.png")
                if image.mode not in ("RGB", "L"):
                    image = image.convert("RGB")
                image.save(target, format="PNG", optimize=False, compress_level=6)
                preview.pages.append(Page(target, image.width, image.height))
                image.close()
            finally:
                page.close()
        return preview
    finally:
        pdf.close()


def _run(argv: list[str], *, timeout: float, env: dict[str, str] | None = None) -> bytes:
    """Run a converter in its own process group; past ``timeout`` seconds the whole group
    (LibreOffice forks its real program) is killed and PreviewTimeout raised."""
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=env,
        )
    except FileNotFoundError:
        raise PreviewToolMissing(f"{argv[0]} is not installed on the worker.") from None
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PreviewTimeout(
            f"{Path(argv[0]).name} ran past its time limit of {timeout:g} s."
        ) from None
    finally:
        if process.poll() is None:  # an exception of our own: leave nothing running
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.returncode != 0:
        message = err.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(
            f"{Path(argv[0]).name} failed ({process.returncode}): "
            f"{message[-1] if message else 'no message'}"
        )
    return out


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise PreviewToolMissing(f"{name} is not installed on the worker.")
    return path


# Settings of each conversion's fresh LibreOffice profile. An uploaded document is
# untrusted: it may link pictures or sections to addresses (the worker would fetch them:
# SSRF), link to local files (their text would appear in the preview), carry macros, or
# hold spreadsheet formulas such as WEBSERVICE() that fetch when recalculated. So: no
# macros, no link updates, no recalculation on load (the saved values are shown), links
# from untrusted documents blocked, and every connection sent to a proxy that does not
# exist (port 9 on loopback: refused at once).
_NEVER = 0  # com.sun.star.document.LinkUpdateModes.NEVER_UPDATE
OFFICE_PROFILE_SETTINGS = [
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "int", "3"),
    (
        "/org.openoffice.Office.Common/Security/Scripting",
        "DisableMacrosExecution",
        "boolean",
        "true",
    ),
    (
        "/org.openoffice.Office.Common/Security/Scripting",
        "BlockUntrustedRefererLinks",
        "boolean",
        "true",
    ),
    ("/org.openoffice.Office.Writer/Content/Update", "Link", "int", str(_NEVER)),
    ("/org.openoffice.Office.Calc/Content/Update", "Link", "int", str(_NEVER)),
    ("/org.openoffice.Office.Calc/Formula/Load", "OOXMLRecalcMode", "int", "1"),
    ("/org.openoffice.Office.Calc/Formula/Load", "ODFRecalcMode", "int", "1"),
    ("/org.openoffice.Inet/Settings", "ooInetProxyType", "int", "2"),
    ("/org.openoffice.Inet/Settings", "ooInetNoProxy", "string", ""),
    ("/org.openoffice.Inet/Settings", "ooInetHTTPProxyName", "string", "127.0.0.1"),
    ("/org.openoffice.Inet/Settings", "ooInetHTTPProxyPort", "int", "9"),
    ("/org.openoffice.Inet/Settings", "ooInetHTTPSProxyName", "string", "127.0.0.1"),
    ("/org.openoffice.Inet/Settings", "ooInetHTTPSProxyPort", "int", "9"),
]


def _office_profile(profile: str) -> None:
    """A new LibreOffice profile directory holding OFFICE_PROFILE_SETTINGS."""
    from xml.sax.saxutils import quoteattr

    items = "".join(
        f'<item oor:path={quoteattr(path)}><prop oor:name={quoteattr(name)} oor:op="fuse">'
        f"<value>{value}</value></prop></item>\n"
        for path, name, _type, value in OFFICE_PROFILE_SETTINGS
    )
    os.makedirs(os.path.join(profile, "user"))
    with open(os.path.join(profile, "user", "registrymodifications.xcu"), "w") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            f"{items}</oor:items>\n"
        )


def office_to_pdf(path: str, mime: str, work_dir: str) -> str:
    """Convert an Office document to PDF with LibreOffice headless; the PDF's path.

    Each run has its own LibreOffice profile (two conversions at once would otherwise
    share and lock one) inside ``work_dir``, which the caller removes, with the settings
    of OFFICE_PROFILE_SETTINGS (nothing in the document reaches the network or runs).
    """
    soffice = _tool("soffice")
    source = os.path.join(work_dir, f"document.{OFFICE_TYPES[mime]}")
    os.symlink(path, source)
    profile = os.path.join(work_dir, "profile")
    _office_profile(profile)
    out_dir = os.path.join(work_dir, "pdf")
    os.makedirs(out_dir)
    _run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--nologo",
            "--convert-to",
            "pdf",
            "--outdir",
            out_dir,
            source,
        ],
        timeout=settings.CONTENT_PREVIEW_OFFICE_SECONDS,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": work_dir,
            "LANG": "C.UTF-8",
            # Belt and braces for any library that reads the environment's proxy.
            "http_proxy": "http://127.0.0.1:9",
            "https_proxy": "http://127.0.0.1:9",
            "no_proxy": "",
        },
    )
    pdf = os.path.join(out_dir, "document.pdf")
    if not os.path.exists(pdf):
        raise RuntimeError("LibreOffice made no PDF of this file.")
    return pdf


def media_duration(path: str) -> float | None:
    """The length in seconds (ffprobe), or None when the container does not say."""
    out = _run(
        [
            _tool("ffprobe"),
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "json",
            path,
        ],
        timeout=settings.CONTENT_PREVIEW_MEDIA_SECONDS,
    )
    try:
        value = float(json.loads(out or b"{}").get("format", {}).get("duration"))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def media_poster(path: str, work_dir: str, *, duration: float | None) -> bytes | None:
    """A PNG thumbnail of a frame a little into the video (or of an audio file's cover
    picture); None when there is no picture at all."""
    target = os.path.join(work_dir, "poster.png")
    at = min(1.0, duration / 10) if duration else 0.0
    try:
        _run(
            [
                _tool("ffmpeg"),
                "-nostdin",
                "-v",
                "error",
                "-ss",
                f"{at:.3f}",
                "-i",
                path,
                "-map",
                "0:v:0?",
                "-frames:v",
                "1",
                "-f",
                "image2",
                "-c:v",
                "png",
                target,
            ],
            timeout=settings.CONTENT_PREVIEW_MEDIA_SECONDS,
        )
    except RuntimeError:
        if not os.path.exists(target):
            return None
    if not os.path.exists(target) or os.path.getsize(target) == 0:
        return None  # no video stream: audio without a cover
    return _image_thumbnail(target)


@contextlib.contextmanager
def work_directory() -> Iterator[str]:
    """A private temporary directory (``oae-process-<pid>-...``: swept when its process
    is gone), removed on the way out."""
    import tempfile

    from tenant_apps.blobs.tempfiles import temp_dir

    path = tempfile.mkdtemp(prefix=f"oae-process-{os.getpid()}-", dir=temp_dir())
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def render(path: str, mime: str, work_dir: str) -> Preview:
    """Everything a version's preview is made of; files go to ``work_dir``.

    Raises PreviewToolMissing, PreviewTimeout or the converter's own error (recorded on
    the version and retried like any failed attempt).
    """
    if mime in PDF_TYPES:
        return render_pdf_pages(path, work_dir)
    if mime in OFFICE_TYPES:
        return render_pdf_pages(office_to_pdf(path, mime, work_dir), work_dir)
    if is_media(mime):
        duration = media_duration(path)
        return Preview(thumbnail=media_poster(path, work_dir, duration=duration), duration=duration)
    return Preview(thumbnail=_image_thumbnail(path))


def image_bytes_thumbnail(data: bytes) -> bytes:
    """A PNG of at most 600x600 pixels of an image held in memory (a link's picture)."""
    return _image_thumbnail(io.BytesIO(data))


def _image_thumbnail(path) -> bytes:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = 100_000_000  # a decompression bomb fails instead of eating memory
    with Image.open(path) as image:
        image.draft("RGB", PREVIEW_SIZE)
        image.load()
        return _png(image.copy())
