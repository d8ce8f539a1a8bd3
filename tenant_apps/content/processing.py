"""Previews (PNG thumbnails) and text extraction for a version's bytes.

Images go through Pillow, PDFs through pypdfium2 (first page rendered, text of
every page); Word, PowerPoint and Excel files through python-docx, python-pptx and
openpyxl; plain text is decoded. Each function reads from a local file and never
holds more than it needs.
"""

from __future__ import annotations

import io

PREVIEW_SIZE = (600, 600)
MAX_TEXT = 1_000_000  # characters kept for search
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff"}
PDF_TYPES = {"application/pdf"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def can_preview(mime: str) -> bool:
    return mime in IMAGE_TYPES or mime in PDF_TYPES


def can_extract(mime: str) -> bool:
    return mime in PDF_TYPES or mime in {DOCX, PPTX, XLSX} or mime.startswith("text/")


def _png(image) -> bytes:
    from PIL import Image

    image.thumbnail(PREVIEW_SIZE)
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    del Image
    return out.getvalue()


def render_preview(path: str, mime: str) -> bytes:
    """A PNG of at most 600x600 pixels of the image or of the PDF's first page."""
    if mime in PDF_TYPES:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(path)
        try:
            page = pdf[0]
            width, height = page.get_size()
            scale = min(PREVIEW_SIZE[0] / width, PREVIEW_SIZE[1] / height, 2.0)
            image = page.render(scale=scale).to_pil()
            return _png(image)
        finally:
            pdf.close()
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = 100_000_000  # a decompression bomb fails instead of eating memory
    with Image.open(path) as image:
        image.draft("RGB", PREVIEW_SIZE)
        image.load()
        return _png(image.copy())


def extract_text(path: str, mime: str) -> str:
    if mime in PDF_TYPES:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(path)
        try:
            parts = []
            length = 0  # a running total: summing every part each page was quadratic
            for page in pdf:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_range()
                finally:
                    textpage.close()
                    page.close()
                parts.append(text)
                length += len(text) + 1
                if length > MAX_TEXT:
                    break
            return "\n".join(parts)[:MAX_TEXT]
        finally:
            pdf.close()
    if mime == DOCX:
        import docx

        document = docx.Document(path)
        return "\n".join(p.text for p in document.paragraphs)[:MAX_TEXT]
    if mime == PPTX:
        import pptx

        deck = pptx.Presentation(path)
        texts = [
            shape.text_frame.text
            for slide in deck.slides
            for shape in slide.shapes
            if shape.has_text_frame
        ]
        return "\n".join(texts)[:MAX_TEXT]
    if mime == XLSX:
        import openpyxl

        # A handle, not the path: openpyxl judges a path by its extension, and ours has none.
        handle = open(path, "rb")  # noqa: SIM115 - closed in finally
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        try:
            cells = []
            for sheet in book.worksheets:
                for row in sheet.iter_rows(values_only=True):
                    cells.extend(str(v) for v in row if v is not None)
                    if len(cells) > 200_000:
                        break
            return "\n".join(cells)[:MAX_TEXT]
        finally:
            book.close()
            handle.close()
    with open(path, "rb") as handle:
        raw = handle.read(MAX_TEXT * 4)
    return raw.decode("utf-8", errors="replace")[:MAX_TEXT].replace("\x00", "")
