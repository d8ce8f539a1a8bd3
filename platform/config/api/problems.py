"""RFC 9457 problem documents for every error under /api/.

Errors are translated here, once: views never catch a service's error to re-raise it.
``exception_handler`` answers for DRF's exceptions, for Django's ``ValidationError``
(with its field errors), ``Http404`` and ``PermissionDenied`` (with their messages) and
for the domain's ``config.errors.DomainError``. Django's own 404/500 (an unknown API
path, an unhandled error) go through ``handler404``/``handler500`` of the URLconfs,
which answer problem+json on API paths and HTML elsewhere.
"""

from __future__ import annotations

import sys
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.response import Response

from config.errors import DomainError, error_messages
from config.outages import log_outage, outage_cause, retry_after

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://oae.example/problems/"  # stable identifiers, not fetched


# Problem titles in the request's language (the type stays a stable English slug).
TITLES = {
    400: gettext_lazy("Bad request"),
    401: gettext_lazy("Not signed in"),
    403: gettext_lazy("Not allowed"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Conflict"),
    410: gettext_lazy("Gone"),
    411: gettext_lazy("Length required"),
    413: gettext_lazy("Content too large"),
    415: gettext_lazy("Unsupported media type"),
    423: gettext_lazy("Locked"),
    429: gettext_lazy("Too many requests"),
    500: gettext_lazy("Server error"),
    503: gettext_lazy("Service unavailable"),
}


def problem_type(slug: str) -> str:
    return PROBLEM_BASE + slug


def problem(
    status: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": problem_type(slug or phrase.lower().replace(" ", "-").replace("'", "")),
        "title": str(title or TITLES.get(status, phrase)),
        "status": status,
    }
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = {name: [str(text) for text in texts] for name, texts in errors.items()}
    return body


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation errors as ``{"field.sub": ["message", ...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _validation_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A service's ValidationError by field ("non_field_errors" when it named none)."""
    return {field or "non_field_errors": texts for field, texts in error_messages(error).items()}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler, answering problem documents."""
    if isinstance(exc, DomainError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else {}
        body = problem(exc.status, slug=exc.slug, detail=exc.detail)
        body.update({k: v for k, v in (exc.extra or {}).items() if k not in body})
        return Response(body, status=exc.status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_errors(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's handler500 answers (and Sentry hears of it)

    status = exc.status_code
    headers: dict[str, str] = {}
    if isinstance(exc, exceptions.ValidationError):
        body = problem(
            status,
            slug="validation-error",
            title=_("The request has invalid fields"),
            detail=_("Correct the fields listed in errors and try again."),
            errors=_flatten(exc.detail),
        )
    else:
        slug = getattr(exc, "problem_slug", None) or exc.default_code.replace("_", "-")
        detail = exc.detail if isinstance(exc.detail, str) else None
        body = problem(status, slug=slug, detail=str(detail) if detail else None)
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    return Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def problem_response(status: int, **kwargs: Any) -> JsonResponse:
    return JsonResponse(problem(status, **kwargs), status=status, content_type=PROBLEM_CONTENT_TYPE)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return problem_response(404, slug="not-found", detail=_("No such resource."))
    return render(request, "404.html", status=404)


def service_unavailable(request: HttpRequest, cause: str) -> HttpResponse:
    """503 with Retry-After: a problem document under /api/, a self-contained page elsewhere."""
    if is_api_path(request.path):
        response: HttpResponse = problem_response(
            503,
            slug="service-unavailable",
            detail=_(
                "A service this request needs is unavailable for a moment; "
                "nothing was changed. Try again shortly."
            ),
        )
    else:
        # No request context: its processors may need the very service that is down.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(retry_after())
    response["Cache-Control"] = "no-store"
    return response


def handler500(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception: an outage of a service we
    # depend on is a 503 with Retry-After (config.outages), not a bug.
    exc = sys.exc_info()[1]
    cause = outage_cause(exc)
    if cause is not None and exc is not None:
        log_outage(cause, exc, path=request.path)
        return service_unavailable(request, cause)
    if is_api_path(request.path):
        return problem_response(
            500,
            slug="server-error",
            detail=_("Something went wrong on our side; it has been reported."),
        )
    return render(request, "500.html", status=500)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return problem_response(
            400, slug="bad-request", detail=_("The request could not be understood.")
        )
    return render(request, "400.html", status=400)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return problem_response(403, slug="permission-denied", detail=_("You may not do that."))
    return render(request, "403.html", status=403)
