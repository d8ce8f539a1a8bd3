"""Per-institution request and task figures: Prometheus metrics, and hourly counters.

Two views of the same events:

- **Prometheus** (``GET /metrics`` on the platform host, with ``METRICS_TOKEN``):
  ``oae_http_requests_total{institution, status}``, ``oae_http_errors_total{institution}``,
  ``oae_http_request_seconds{institution}`` and ``oae_celery_queue_seconds{institution}``,
  from prometheus-client. The ``institution`` label is bounded: the first
  ``METRICS_MAX_INSTITUTIONS`` institutions a process sees get a label of their own,
  every later one shares ``_other``, and the platform's own pages are ``_platform``;
  10,000 institutions never make 10,000 series per metric.
- **Hourly counters in the public schema** (``tenants_tenanttraffic``), for the console's
  last 24 hours per institution, every institution included: each request and task adds
  to a Redis hash of the current hour (one pipelined round trip), and the beat task
  ``tenants.traffic_flush`` copies the hashes into the table every few minutes. Nothing
  here queries an institution's schema.

With several worker processes (gunicorn), set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory shared by them: the endpoint then adds up every process's figures.
"""

from __future__ import annotations

import atexit
import hmac
import os
import threading
import time
from datetime import UTC, datetime

import structlog
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django_tenants.utils import get_public_schema_name
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

log = structlog.get_logger(__name__)

OTHER = "_other"
PLATFORM = "_platform"
TRAFFIC_KEY = "oae:traffic:{hour}"
TRAFFIC_TTL_SECONDS = 2 * 24 * 3600

REQUESTS = Counter(
    "oae_http_requests",
    "HTTP requests answered, by institution (schema) and status class.",
    ["institution", "status"],
)
ERRORS = Counter(
    "oae_http_errors", "HTTP requests answered with a 5xx status, by institution.", ["institution"]
)
LATENCY = Histogram(
    "oae_http_request_seconds",
    "Seconds to answer a request, by institution.",
    ["institution"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
QUEUE = Histogram(
    "oae_celery_queue_seconds",
    "Seconds a Celery task waited between being sent and starting, by institution.",
    ["institution"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0),
)


class InstitutionLabels:
    """The label for an institution: its own for the first N a process sees, then ``_other``."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, schema: str | None) -> str:
        if not schema or schema == get_public_schema_name():
            return PLATFORM
        if schema in self._seen:
            return schema
        with self._lock:
            if len(self._seen) < settings.METRICS_MAX_INSTITUTIONS:
                self._seen.add(schema)
                return schema
        return OTHER

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()


institution_label = InstitutionLabels()


def _hour(now: float | None = None) -> str:
    return datetime.fromtimestamp(now or time.time(), UTC).strftime("%Y%m%d%H")


_redis = None


def _redis_client():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5)
    return _redis


def _traffic_write(counts: dict[tuple[str, str], int]) -> None:
    """{(hour key, "schema|counter"): value} into Redis, one pipeline. Never raises: a
    figure lost while Redis is away must not fail a request."""
    if not counts:
        return
    try:
        pipe = _redis_client().pipeline(transaction=False)
        for (key, field), value in counts.items():
            pipe.hincrby(key, field, value)
        for key in {key for key, _field in counts}:
            pipe.expire(key, TRAFFIC_TTL_SECONDS)
        pipe.execute()
    except Exception:  # Redis down or slow: the Prometheus figures still count
        log.warning("traffic counters not recorded", exc_info=True)


# Requests' counters are summed in the process and written once a second by a thread:
# a Redis round trip on every request cost more than a small request itself.
TRAFFIC_FLUSH_SECONDS = 1.0
_pending: dict[tuple[str, str], int] = {}
_pending_lock = threading.Lock()
_flusher_pid: int | None = None


def traffic_flush() -> None:
    """Write this process's summed request counters now."""
    global _pending
    with _pending_lock:
        counts, _pending = _pending, {}
    _traffic_write(counts)


def _flusher() -> None:
    while True:
        time.sleep(TRAFFIC_FLUSH_SECONDS)
        traffic_flush()


def _ensure_flusher() -> None:
    global _flusher_pid
    pid = os.getpid()
    if _flusher_pid == pid:
        return
    with _pending_lock:
        if _flusher_pid == pid:
            return
        _flusher_pid = pid
        _pending.clear()  # a forked child's copy was its parent's to write
    threading.Thread(target=_flusher, name="traffic-flusher", daemon=True).start()
    atexit.register(traffic_flush)


def traffic_add(schema: str, *, buffered: bool = False, **counts: int) -> None:
    """Add to this hour's counters of one institution (requests, errors, latency_ms, ...):
    at once, or ``buffered`` (summed here, written within TRAFFIC_FLUSH_SECONDS)."""
    key = TRAFFIC_KEY.format(hour=_hour())
    fields = {(key, f"{schema}|{name}"): value for name, value in counts.items()}
    if not buffered:
        _traffic_write(fields)
        return
    _ensure_flusher()
    with _pending_lock:
        for field, value in fields.items():
            _pending[field] = _pending.get(field, 0) + value


def traffic_hours(hours: int = 25) -> dict[str, dict[str, dict[str, int]]]:
    """{hour "YYYYMMDDHH": {schema: {counter: value}}} for the last ``hours`` hours."""
    traffic_flush()
    now = time.time()
    keys = [TRAFFIC_KEY.format(hour=_hour(now - 3600 * back)) for back in range(hours)]
    pipe = _redis_client().pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    result: dict[str, dict[str, dict[str, int]]] = {}
    for key, fields in zip(keys, pipe.execute(), strict=True):
        hour = key.rsplit(":", 1)[1]
        for field, value in fields.items():
            schema, _sep, name = field.decode().partition("|")
            result.setdefault(hour, {}).setdefault(schema, {})[name] = int(value)
    return result


class MetricsMiddleware:
    """Counts and times every response, per institution (placed before tenant routing)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        tenant = getattr(request, "tenant", None)
        schema = getattr(tenant, "schema_name", None)
        label = institution_label(schema)
        failed = response.status_code >= 500
        REQUESTS.labels(label, f"{response.status_code // 100}xx").inc()
        LATENCY.labels(label).observe(seconds)
        if failed:
            ERRORS.labels(label).inc()
        if label != PLATFORM:
            traffic_add(
                schema,
                buffered=True,
                requests=1,
                errors=int(failed),
                latency_ms=round(seconds * 1000),
            )
        return response


def task_sent(headers: dict | None) -> None:
    """before_task_publish: stamp the message with when it was sent."""
    if headers is not None:
        headers["oae_sent_at"] = time.time()


def task_started(task, schema: str | None) -> None:
    """task_prerun: how long the task waited in the queue, for its institution."""
    sent = getattr(getattr(task, "request", None), "oae_sent_at", None)
    if sent is None:
        return
    waited = max(0.0, time.time() - float(sent))
    label = institution_label(schema)
    QUEUE.labels(label).observe(waited)
    if label != PLATFORM:
        traffic_add(schema, tasks=1, queue_ms=round(waited * 1000))


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus's text format; 404 unless ``Authorization: Bearer <METRICS_TOKEN>``."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").encode()
    if not token or not hmac.compare_digest(given, f"Bearer {token}".encode()):
        raise Http404
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
