"""Load-balancer and operator health endpoints, served on every host with no tenant lookup.

- ``/__lbheartbeat__``: 200 if the process answers; touches nothing.
- ``/__heartbeat__``: checks PostgreSQL, Redis and S3; 200 with each check's
  state, or 503 naming what is down.
- ``/__version__``: the build's version.json (commit from git in a checkout).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from functools import cache

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

CHECK_TIMEOUT_SECONDS = 2.0


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


@cache
def _redis_client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
    )


def check_redis() -> None:
    _redis_client().ping()


@cache
def _s3_client():
    from tenants.storage import make_s3_client

    # One attempt and short timeouts: a health check must answer quickly.
    return make_s3_client(attempts=1, timeout=CHECK_TIMEOUT_SECONDS)


def check_storage() -> None:
    # A listing under the institutions' prefix: what the task role may do (it has no
    # s3:ListBucket on the whole bucket, which HeadBucket would need).
    _s3_client().list_objects_v2(Bucket=settings.S3_BUCKET, Prefix="tenants/", MaxKeys=1)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
}


def run_checks() -> tuple[bool, dict[str, dict]]:
    results: dict[str, dict] = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure of a dependency is "down", never a 500
            healthy = False
            results[name] = {"status": "down", "error": type(exc).__name__}
        else:
            results[name] = {"status": "ok"}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return healthy, results


def heartbeat(request: HttpRequest) -> JsonResponse:
    healthy, results = run_checks()
    body = {
        "status": "ok" if healthy else "down",
        "checks": results,
        "down": [name for name, result in results.items() if result["status"] != "ok"],
    }
    return JsonResponse(body, status=200 if healthy else 503)


def lbheartbeat(request: HttpRequest) -> HttpResponse:
    return HttpResponse("OK", content_type="text/plain")


@cache
def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=2,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def version(request: HttpRequest) -> JsonResponse:
    info = dict(settings.VERSION_INFO)
    if not info.get("commit"):
        info["commit"] = _git_commit()
    return JsonResponse(info)


ROUTES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/__lbheartbeat__": lbheartbeat,
    "/__heartbeat__": heartbeat,
    "/__version__": version,
}


class HealthCheckMiddleware:
    """Answers the health paths before routing, sessions or anything else runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = ROUTES.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            response = view(request)
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
