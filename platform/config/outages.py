"""A service we depend on is down: answer 503 with Retry-After, never a 500.

PostgreSQL, Redis and the object store (S3) can each be unreachable for a while (a
restart, a fail-over, a network partition). A request that needs the one that is down
cannot be served, but that is not a bug: the answer is ``503 Service Unavailable`` with
``Retry-After`` - a problem document (``service-unavailable``) under /api/, a short page
elsewhere - and one log line, ``service.unavailable``, naming the cause (``database``,
``redis`` or ``storage``).

The URLconfs' ``handler500`` (config.api.problems) asks ``outage_cause`` about the
exception being handled: an error raised anywhere (a middleware's tenant lookup, a
session read, a DRF view, a download opening its object) reaches it the same way.
Nothing needs restarting when the service is back: Django reconnects to PostgreSQL
(CONN_HEALTH_CHECKS), redis-py and boto3 reconnect on their next call.
"""

from __future__ import annotations

import logging

from django.conf import settings

log = logging.getLogger("config.outages")

# The exception types that mean "the service could not be reached", by cause. Names,
# not imports: the classification must not fail because a client library is absent.
_CAUSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "database",
        (
            "django.db.utils.OperationalError",
            "django.db.utils.InterfaceError",
            "psycopg2.OperationalError",
            "psycopg2.InterfaceError",
        ),
    ),
    (
        "redis",
        (
            "redis.exceptions.ConnectionError",
            "redis.exceptions.TimeoutError",
            "django_redis.exceptions.ConnectionInterrupted",
            "kombu.exceptions.OperationalError",
        ),
    ),
    (
        "storage",
        (
            "tenant_apps.blobs.storage.StorageUnavailable",
            "botocore.exceptions.EndpointConnectionError",
            "botocore.exceptions.ConnectTimeoutError",
            "botocore.exceptions.ReadTimeoutError",
            "botocore.exceptions.ConnectionClosedError",
        ),
    ),
)


def _names(exc: BaseException) -> set[str]:
    return {f"{klass.__module__}.{klass.__qualname__}" for klass in type(exc).__mro__}


def outage_cause(exc: BaseException | None) -> str | None:
    """``database``, ``redis`` or ``storage`` when ``exc`` (or what caused it) says that
    service could not be reached; None for any other error (a bug: a 500)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        names = _names(exc)
        for cause, types in _CAUSES:
            if names.intersection(types):
                return cause
        exc = exc.__cause__ or exc.__context__
    return None


def retry_after() -> int:
    return settings.SERVICE_UNAVAILABLE_RETRY_AFTER


def log_outage(cause: str, exc: BaseException, *, path: str) -> None:
    log.warning(
        "service.unavailable",
        extra={"cause": cause, "error": f"{type(exc).__name__}: {exc}"[:300], "path": path},
    )
