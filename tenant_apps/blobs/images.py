"""Pictures people and admins upload (avatars, group pictures, the institution's logo).

Whatever arrives is decoded with Pillow and re-encoded as a small PNG: metadata
(EXIF with its location) is dropped, a file that only claims to be an image is
refused, and what we store and serve is always a plain raster picture. The PNG goes
through the blob store like any file, so the same picture is stored once.
"""

from __future__ import annotations

import io
import warnings
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from tenant_apps.blobs.models import Blob
from tenant_apps.blobs.services import blob_acquire, blob_put, blob_release, blob_staged

ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
MAX_PICTURE_BYTES = 10 * 1024 * 1024
# Refuse decompression bombs: a small file that decodes to a huge canvas.
MAX_PIXELS = 40_000_000


def picture_normalised(
    source: IO[bytes], *, side: int, square: bool, field: str = "picture"
) -> io.BytesIO:
    """``source`` as a PNG at most ``side`` pixels wide and high (cropped square if asked).

    ValidationError on ``field`` with a message for people when it is not a picture we
    accept (the API and the forms show it beside that field).
    """
    try:
        return _normalised(source, side=side, square=square)
    except ValidationError as error:
        raise ValidationError({field: error.error_list}) from None


def _normalised(source: IO[bytes], *, side: int, square: bool) -> io.BytesIO:
    size = getattr(source, "size", None)
    if size is not None and size > MAX_PICTURE_BYTES:
        raise ValidationError(
            _("The picture is larger than %(value)s MB.")
            % {"value": MAX_PICTURE_BYTES // (1024 * 1024)},
            code="too_big",
        )
    problem = ValidationError(
        _("This is not a picture we can use: upload a JPEG, PNG, GIF or WebP image."),
        code="not_a_picture",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise problem
                if image.width * image.height > MAX_PIXELS:
                    raise ValidationError(_("The picture has too many pixels."), code="too_big")
                image.seek(0)  # the first frame of an animation
                picture = ImageOps.exif_transpose(image)
                picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise problem from None
    except Image.DecompressionBombWarning:
        raise ValidationError(_("The picture has too many pixels."), code="too_big") from None
    if square:
        picture = ImageOps.fit(picture, (side, side), method=Image.Resampling.LANCZOS)
    else:
        picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    out.seek(0)
    return out


def picture_replace(
    *, tenant, source: IO[bytes], side: int, square: bool, attach, field: str = "picture"
) -> Blob:
    """Store ``source`` as a normalised picture and hand the blob to ``attach(blob)``.

    ``attach`` sets the new picture on its owner and returns the blob id it replaced
    (or None); that blob loses a reference. The picture's object is written before
    the transaction in which ``attach`` runs (rule 3 of DESIGN.md).
    """
    png = picture_normalised(source, side=side, square=square, field=field)
    with blob_staged(png) as staged:
        written = blob_put(tenant=tenant, staged=staged)
        with transaction.atomic():
            blob = blob_acquire(tenant=tenant, staged=staged, written=written)
            previous = attach(blob)
            if previous is not None:
                blob_release(blob_id=previous)
    return blob


@transaction.atomic
def picture_remove(*, detach) -> None:
    """``detach()`` clears the picture and returns the blob id it held (or None)."""
    previous = detach()
    if previous is not None:
        blob_release(blob_id=previous)
