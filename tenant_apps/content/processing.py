"""Previews (PNG thumbnails) and text extraction for a version's bytes.

Images go through Pillow, PDFs through pypdfium2 (first page rendered). The text
of files for search is ``tenant_apps.content.extraction``'s. Each function reads
from a local file and never holds more than it needs.
"""

from __future__ import annotations

import io

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


def can_preview(mime: str) -> bool:
    return mime in IMAGE_TYPES or mime in PDF_TYPES


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
