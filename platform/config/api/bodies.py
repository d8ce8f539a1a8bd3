"""Refusing request bodies before reading them: too large (413), no length (411).

Upload endpoints (content, group pictures) answer before DRF authenticates: a session's
CSRF check would otherwise read, and store, the whole body first.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

MULTIPART_SLACK = 64 * 1024  # room for a multipart envelope around a file part


class TooLarge(exceptions.APIException):
    status_code = 413
    default_detail = _("The request body is too large.")
    default_code = "too_large"


class LengthRequired(exceptions.APIException):
    status_code = 411
    default_detail = _("Send the file's length as Content-Length.")
    default_code = "length_required"


def declared_length(request: HttpRequest) -> int | None:
    """The body's Content-Length, or None when it is missing or not a number."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def refuse_oversized_body(request: HttpRequest, *, limit: int, slack: int, message: str) -> None:
    """Answer 413 (``message``) before reading a body longer than ``limit`` + ``slack``."""
    length = declared_length(request)
    if length is not None and length > limit + slack:
        raise TooLarge(message)
