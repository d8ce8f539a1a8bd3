"""Uploaded pictures are decoded and re-encoded as small PNGs; anything else is refused."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from tenant_apps.blobs.images import picture_normalised


def _jpeg(width: int, height: int, *, exif: bool = False) -> io.BytesIO:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (200, 30, 30))
    if exif:
        info = Image.Exif()
        info[0x010F] = "Camera Maker"  # Make
        info[0x0112] = 6  # Orientation: rotate 90
        image.save(out, format="JPEG", exif=info.tobytes())
    else:
        image.save(out, format="JPEG")
    out.seek(0)
    return out


def test_a_photo_becomes_a_square_png_without_its_metadata():
    png = picture_normalised(_jpeg(800, 400, exif=True), side=256, square=True)
    with Image.open(png) as picture:
        assert picture.format == "PNG"
        assert picture.size == (256, 256)
        assert not picture.getexif()
        assert "exif" not in picture.info


def test_a_logo_keeps_its_proportions():
    png = picture_normalised(_jpeg(1000, 250), side=400, square=False)
    with Image.open(png) as picture:
        assert picture.size == (400, 100)


@pytest.mark.parametrize(
    "data",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"<html><script>alert(1)</script></html>",
        b"%PDF-1.4 not a picture",
        b"",
        b"\x89PNG\r\n\x1a\n truncated",
    ],
)
def test_what_is_not_a_picture_is_refused_with_a_message(data):
    with pytest.raises(ValidationError) as refused:
        picture_normalised(io.BytesIO(data), side=256, square=True)
    assert "not a picture we can use" in refused.value.messages[0]


def test_a_decompression_bomb_is_refused():
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # tiny file, 81 megapixels
    out.seek(0)
    with pytest.raises(ValidationError) as refused:
        picture_normalised(out, side=256, square=True)
    assert "too many pixels" in refused.value.messages[0]
