"""Text of a version's bytes, for search: PDFs, Office documents, plain text, HTML, Markdown.

PDFs go through pypdfium2 (every page's text); Word, PowerPoint and Excel files
through python-docx, python-pptx and openpyxl; HTML through the standard library's
parser (the visible text: no tags, scripts or styles); Markdown and other plain text
are decoded as UTF-8. Each function reads from a local file and keeps at most
``MAX_TEXT`` characters. A file larger than ``CONTENT_EXTRACT_MAX_BYTES`` is refused
with ``ExtractionRefused`` (recorded on the version, never retried): reading a huge
spreadsheet into memory to index it is not worth a worker.
"""

from __future__ import annotations

import os
from html.parser import HTMLParser

from django.conf import settings

MAX_TEXT = 1_000_000  # characters kept for search
PDF_TYPES = {"application/pdf"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML_TYPES = {"text/html", "application/xhtml+xml"}
MARKDOWN_TYPES = {"text/markdown", "text/x-markdown"}


class ExtractionRefused(Exception):
    """The file is not worth extracting (too large); the reason is recorded on the version."""


def can_extract(mime: str) -> bool:
    return (
        mime in PDF_TYPES
        or mime in {DOCX, PPTX, XLSX}
        or mime in HTML_TYPES
        or mime in MARKDOWN_TYPES
        or mime.startswith("text/")
    )


def extract_text(path: str, mime: str) -> str:
    """The text of the file at ``path`` (of type ``mime``), at most ``MAX_TEXT`` characters.

    Raises ExtractionRefused for files over the size cap; any other exception is a
    failure of the file itself (corrupt, encrypted) that the caller records and retries.
    """
    size = os.path.getsize(path)
    cap = settings.CONTENT_EXTRACT_MAX_BYTES
    if size > cap:
        raise ExtractionRefused(f"text not extracted: the file is larger than {cap} bytes")
    if mime in PDF_TYPES:
        text = _pdf(path)
    elif mime == DOCX:
        text = _docx(path)
    elif mime == PPTX:
        text = _pptx(path)
    elif mime == XLSX:
        text = _xlsx(path)
    elif mime in HTML_TYPES:
        text = _html(_decoded(path))
    else:  # plain text, Markdown, CSV, source code...
        text = _decoded(path)
    return text[:MAX_TEXT].replace("\x00", "")


def _decoded(path: str) -> str:
    with open(path, "rb") as handle:
        raw = handle.read(MAX_TEXT * 4)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.decode("utf-8", errors="replace")


def _pdf(path: str) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        parts: list[str] = []
        total = 0
        for page in pdf:
            text = page.get_textpage().get_text_range()
            parts.append(text)
            total += len(text)
            if total > MAX_TEXT:
                break
        return "\n".join(parts)
    finally:
        pdf.close()


def _docx(path: str) -> str:
    import docx

    document = docx.Document(path)
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def _pptx(path: str) -> str:
    import pptx

    deck = pptx.Presentation(path)
    texts = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
        if slide.has_notes_slide:
            texts.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(texts)


def _xlsx(path: str) -> str:
    import openpyxl

    # A handle, not the path: openpyxl judges a path by its extension, and ours has none.
    with open(path, "rb") as handle:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        try:
            cells: list[str] = []
            for sheet in book.worksheets:
                cells.append(sheet.title)
                for row in sheet.iter_rows(values_only=True):
                    cells.extend(str(v) for v in row if v is not None)
                    if len(cells) > 200_000:
                        break
            return "\n".join(cells)
        finally:
            book.close()


class _VisibleText(HTMLParser):
    _HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(alt)

    def handle_endtag(self, tag) -> None:
        if tag in self._HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data) -> None:
        if not self._hidden:
            self.parts.append(data)


def _html(markup: str) -> str:
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    return " ".join(" ".join(parser.parts).split())
