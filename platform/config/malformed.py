"""Refusing malformed input at the edge, before it can reach PostgreSQL or a recursive parser.

PostgreSQL refuses a NUL character in any text, and a lone UTF-16 surrogate cannot be
encoded to UTF-8 for it: either would raise deep in a query and answer 500. JSON
nested a thousand levels deep exhausts the parser's recursion. None of these is ever
meaningful input, so they are refused with a 400 (a problem document under /api/,
the friendly error page elsewhere) and nothing is logged as an error or sent to Sentry.

- ``MalformedRequestMiddleware`` checks the path, every query parameter (names and
  values), the cookies and the Authorization header of every request, and every field
  of a form posted to a page (``request.POST``; CSRF reads it there anyway).
- ``JSONParser``, ``FormParser`` and ``MultiPartParser`` are DRF's, refusing bodies
  nested deeper than ``MAX_JSON_DEPTH`` or holding NUL or lone surrogates in any string.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from config.api.problems import is_api_path, problem_response

MAX_JSON_DEPTH = 64
# NUL, and the surrogate code points (which only a "\ud800"-style JSON escape can produce).
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def is_malformed_text(value: str) -> bool:
    """True if ``value`` holds a character no column or URL of ours can store."""
    return _FORBIDDEN.search(value) is not None


def bad_request(request: HttpRequest, detail: str) -> HttpResponse:
    """400: a problem document under /api/, the self-contained error page elsewhere."""
    if is_api_path(request.path):
        return problem_response(400, slug="malformed-request", detail=detail)
    # No request context: no context processor may touch the database with this input.
    return HttpResponse(get_template("400.html").render({}), status=400)


def _request_is_malformed(request: HttpRequest) -> bool:
    if is_malformed_text(request.path):
        return True
    for key, values in request.GET.lists():
        if is_malformed_text(key) or any(is_malformed_text(value) for value in values):
            return True
    for key, value in request.COOKIES.items():
        if is_malformed_text(key) or is_malformed_text(value):
            return True
    return is_malformed_text(request.META.get("HTTP_AUTHORIZATION", ""))


def _form_is_malformed(request: HttpRequest) -> bool:
    """A NUL in a field of a form posted to a page. Pages read ``request.POST`` directly
    as well as through forms (whose CharFields refuse NUL); the API's parsers check the
    bodies they parse themselves, so API bodies are left to them."""
    if request.method != "POST" or is_api_path(request.path):
        return False
    for key, values in request.POST.lists():
        if is_malformed_text(key) or any(is_malformed_text(value) for value in values):
            return True
    return False


class MalformedRequestMiddleware:
    """400 for a NUL byte (or a lone surrogate) in the path, the query, a cookie, a token or
    a page's form field."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _request_is_malformed(request):
            return bad_request(
                request, _("The address, a query parameter or a cookie holds a NUL character.")
            )
        if _form_is_malformed(request):
            return bad_request(request, _("A field of the form holds a NUL character."))
        return self.get_response(request)


def check_parsed(data: Any) -> Any:
    """``data`` if no string in it (key or value) is malformed and it nests at most
    ``MAX_JSON_DEPTH`` deep; ParseError otherwise. Iterative: deep input cannot recurse."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if is_malformed_text(value):
                raise ParseError(_("A string in the request holds a NUL or an invalid character."))
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ParseError(
                    _("The request nests deeper than %(max_json_depth)s levels.")
                    % {"max_json_depth": MAX_JSON_DEPTH}
                )
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                if key is not None:
                    stack.append((key, depth))
                stack.append((item, depth + 1))
    return data


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                _("The request nests deeper than %(max_json_depth)s levels.")
                % {"max_json_depth": MAX_JSON_DEPTH}
            ) from None
        return check_parsed(data)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_parsed(dict(data.lists()))
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_parsed(dict(result.data.lists()))
        return result
