"""JSON-lines logs via structlog, each carrying tenant, request id and the user's public id."""

from __future__ import annotations

import logging
import logging.config
import re
import time
import uuid
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")

access_log = structlog.get_logger("oae.request")


def configure(*, level: str = "INFO", fmt: str = "json") -> None:
    """Route stdlib and structlog records through one JSON (or console) renderer."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "structured": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "foreign_pre_chain": shared,
                    "processors": [
                        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        structlog.processors.format_exc_info,
                        renderer,
                    ],
                }
            },
            "handlers": {
                "stream": {"class": "logging.StreamHandler", "formatter": "structured"},
            },
            "root": {"handlers": ["stream"], "level": level},
            "loggers": {
                # Our access line replaces Django's per-request warnings for 4xx.
                "django.request": {"level": "ERROR"},
                "django.server": {"level": "ERROR"},
                # pysaml2's schema loader announces every XSD it reads, on every start.
                "xmlschema": {"level": "WARNING"},
            },
        }
    )


def _request_id(request: HttpRequest) -> str:
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _user_public_id(request: HttpRequest) -> str | None:
    """The user's public id if something in the request already loaded the user.

    Never loads it just for the log line: that would cost a query per request.
    """
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty:
        return None
    return getattr(wrapped, "public_id", None)


class RequestContextMiddleware:
    """Binds a request id to every log line of the request and writes one access line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        structlog.contextvars.clear_contextvars()
        request_id = _request_id(request)
        request.request_id = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        user = _user_public_id(request)
        if user:
            structlog.contextvars.bind_contextvars(user=user)
        access_log.info(
            "request",
            method=request.method,
            path=request.path,
            status=response.status_code,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
        response["X-Request-ID"] = request_id
        structlog.contextvars.clear_contextvars()
        return response
