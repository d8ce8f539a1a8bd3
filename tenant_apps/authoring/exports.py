"""A document as a file: standalone HTML, or PDF (fpdf2, with DejaVu fonts when present)."""

from __future__ import annotations

import html as htmllib
import logging
import re
from pathlib import Path

from fpdf import FPDF

log = logging.getLogger(__name__)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def export_html(*, title: str, html: str) -> bytes:
    """A standalone HTML file of the (already sanitised) document."""
    page = (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{htmllib.escape(title)}</title></head>\n<body>\n"
        f"<h1>{htmllib.escape(title)}</h1>\n{html}\n</body></html>\n"
    )
    return page.encode("utf-8")


def _for_pdf(html: str) -> str:
    # Images are references to the library, fetched by each reader's browser with their
    # own rights; the PDF writer must not fetch anything, so they become their text.
    html = re.sub(
        r"<img\b[^>]*?(?:alt=\"([^\"]*)\")?[^>]*>",
        lambda m: f"[image{': ' + m.group(1) if m.group(1) else ''}]",
        html,
    )
    # fpdf2 lays out paragraphs inside cells and list items poorly: keep their text.
    html = re.sub(r"<(li|td|th)>\s*<p>(.*?)</p>\s*</\1>", r"<\1>\2</\1>", html, flags=re.S)
    return html


def export_pdf(*, title: str, html: str) -> bytes:
    """The document as a PDF: headings, paragraphs, lists, links, tables, code, quotes."""
    pdf = FPDF()
    pdf.set_title(title)
    family = "helvetica"
    if (FONT_DIR / "DejaVuSans.ttf").exists():
        pdf.add_font("dejavu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        pdf.add_font("dejavu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        pdf.add_font("dejavu", "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
        pdf.add_font("dejavu", "BI", str(FONT_DIR / "DejaVuSans-BoldOblique.ttf"))
        family = "dejavu"
    pdf.add_page()
    pdf.set_font(family, size=11)
    body = f"<h1>{htmllib.escape(title)}</h1>{_for_pdf(html)}"
    try:
        pdf.write_html(body, font_family=family)
    except Exception:
        # A layout fpdf2 cannot draw: the text alone, so that export never fails.
        log.info("authoring: PDF layout failed, exporting plain text", exc_info=True)
        pdf = FPDF()
        pdf.add_page()
        if family == "dejavu":
            pdf.add_font("dejavu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        pdf.set_font(family, size=11)
        text = htmllib.unescape(re.sub(r"<[^>]+>", "\n", body))
        if family != "dejavu":
            text = text.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, 6, "\n".join(line for line in text.splitlines() if line.strip()))
    return bytes(pdf.output())
