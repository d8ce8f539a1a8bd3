#!/usr/bin/env python3
"""Every main page and endpoint next to its floor, in-process, through Django's WSGI handler.

Each case is a real request to the demo institution (Alice signed in, or her token)
through ``django.core.handlers.wsgi.WSGIHandler``: every middleware, the URL
resolver, the view, the template or serializer, the rendered bytes. Its **floor** is a
view in the same process (tests/bench/floors.py, mounted by tests/bench/urls_tenant.py)
that reads the same rows with ``.values()`` and answers a ``JsonResponse`` through the
same middleware: what the request cannot cost less than with this database. Rounds
interleave every case and its floor, so the machine's noise hits both alike; the table
gives medians, the SQL statements of one request (the connection's health check
``SELECT 1`` comes on top of every request and is not counted by Django), and the
ratio ms / floor ms. Goal: every ratio at most 1.5.

Python's garbage collector is kept out of the comparison's placement: after every timed
request, outside the timing, the young generations are collected (``gc.collect(1)``), so
each request (page or floor) starts with them empty and pays inside its timing only for the
collections its own allocations cause. Without it the rounds allocate the same objects in
the same order, so the collections land on the same requests round after round (measured:
about one a round, 0.35 ms, nearly all in the API groups request and the dashboard, none in
their floors), and which request carried them depended on what the others allocated. What
those collections cost outside the timing is printed under the table.

Rounds: ``BENCH_PAGES_ROUNDS`` (default 150).
"""

from __future__ import annotations

import gc
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from tenant_apps.content.models import Comment, ContentItem, Share, ShareRole  # noqa: E402
from tenant_apps.content.services import (  # noqa: E402
    comment_create,
    content_create_document,
    content_share,
    content_upload_file,
    content_version_add,
)
from tenant_apps.groups.models import Group  # noqa: E402
from tenant_apps.groups.services import group_create  # noqa: E402
from tenant_apps.people.models import User  # noqa: E402
from tenant_apps.people.services import token_create, user_create  # noqa: E402
from tenants.models import Tenant  # noqa: E402
from tests.bench import floors  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_PAGES_ROUNDS", "150"))
GOAL = 1.5
HOST = f"demo.{settings.PLATFORM_DOMAIN}"
PEOPLE = 60
ITEMS = 40


def seed(tenant: Tenant) -> dict:
    """The demo institution with enough to show: people, a group, items, one busy item."""
    with tenant_context(tenant):
        alice = User.objects.get(username="alice")
        bob = User.objects.get(username="bob")
        if not User.objects.filter(username="bench-person-0").exists():
            people = [
                user_create(username=f"bench-person-{n}", display_name=f"Person {n:03d}")
                for n in range(PEOPLE)
            ]
            group = group_create(actor=alice, title="Bench group", description="The bench's")
            for n in range(ITEMS):
                owner = alice if n % 2 == 0 else bob
                item = content_create_document(
                    actor=owner,
                    title=f"Bench document {n}",
                    body="<p>" + "Words of a document. " * 200 + "</p>",
                    description="A document of the bench",
                    tags=["bench", f"week-{n % 5}"],
                    visibility="loggedin" if n % 3 else "private",
                )
                if owner == bob:
                    content_share(actor=bob, item=item, principals=[alice], role=ShareRole.VIEWER)
            busy = content_upload_file(
                actor=alice,
                source=io.BytesIO(b"first version " * 1000),
                filename="busy.txt",
                title="The busy item",
                visibility="loggedin",
            )
            for n in range(2):
                content_version_add(
                    actor=alice,
                    item=busy,
                    source=io.BytesIO(f"version {n + 2} ".encode() * 1000),
                    filename="busy.txt",
                )
            content_share(actor=alice, item=busy, principals=[bob, *people[:5]], role="viewer")
            content_share(actor=alice, item=busy, principals=[group], role="editor")
            for n in range(12):
                comment_create(actor=alice if n % 2 else bob, item=busy, body=f"Comment {n}")
        busy = ContentItem.objects.get(title="The busy item")
        group = Group.objects.get(title="Bench group")
        assert Comment.objects.filter(item=busy).count() == 12
        assert Share.objects.filter(item=busy).count() >= 7
        _token, raw = token_create(user=alice, name="bench pages")
        browser = Client(HTTP_HOST=HOST)
        browser.force_login(alice)
        cookie = settings.SESSION_COOKIE_NAME
        return {
            "alice": alice,
            "busy": busy,
            "group": group,
            "cookie": f"{cookie}={browser.cookies[cookie].value}",
            "token": raw,
        }


class InProcess:
    """GET requests through Django's real WSGI handler, in this process."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def get(self, host: str, path: str, headers: dict[str, str]) -> tuple[str, bytes]:
        path, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SCRIPT_NAME": "",
            "SERVER_NAME": host,
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": host,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            **headers,
        }
        status: list[str] = []
        response = self.handler(environ, lambda s, h, exc_info=None: status.append(s))
        try:
            body = b"".join(response)
        finally:
            if hasattr(response, "close"):
                response.close()
        return status[0], body


def cases(world: dict) -> list[tuple[str, str, str, dict, str, str]]:
    """(label, host, path, headers, floor host, floor path)."""
    session = {"HTTP_COOKIE": world["cookie"]}
    token = {"HTTP_AUTHORIZATION": f"Bearer {world['token']}"}
    busy = world["busy"].public_id
    platform = settings.PLATFORM_DOMAIN
    floor = "/bench/floor/"
    return [
        ("GET /bench/plain (routed)", HOST, "/bench/plain", {}, platform, "/bench/plain"),
        ("GET / dashboard", HOST, "/", session, HOST, floor + "dashboard"),
        ("GET /people/", HOST, "/people/", session, HOST, floor + "people?limit=50"),
        ("GET /api/v1/people/ (token)", HOST, "/api/v1/people/", token, HOST, floor + "people"),
        ("GET /api/v1/content/", HOST, "/api/v1/content/", token, HOST, floor + "content"),
        ("GET /api/v1/groups/", HOST, "/api/v1/groups/", token, HOST, floor + "groups"),
        ("GET /content/<id> item page", HOST, f"/content/{busy}", session, HOST, floor + "item"),
        ("GET /api/v1/institution", HOST, "/api/v1/institution", {}, HOST, floor + "institution"),
    ]


def statements(client: InProcess, host: str, path: str, headers: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        status, body = client.get(host, path, headers)
    if not status.startswith("200"):
        sys.exit(f"{host}{path} answered {status}: {body[:500]!r}")
    return len(captured.captured_queries)


def main() -> int:
    tenant = Tenant.objects.get(slug="demo")
    world = seed(tenant)
    with tenant_context(tenant):
        floors.configure(
            user_id=world["alice"].pk, item_id=world["busy"].pk, group_id=world["group"].pk
        )
    connection.set_schema_to_public()
    client = InProcess()
    table = cases(world)
    # Warm every code path, cache and the connection; count statements on a warm process.
    for _label, host, path, headers, floor_host, floor_path in table:
        for _ in range(3):
            client.get(host, path, headers)
            client.get(floor_host, floor_path, {})
    counts = {
        label: (statements(client, host, path, headers), statements(client, fh, fp, {}))
        for label, host, path, headers, fh, fp in table
    }
    times: dict[str, tuple[list[float], list[float]]] = {row[0]: ([], []) for row in table}
    collecting: list[float] = []  # ms of each young collection after a timed request

    def timed(host: str, path: str, headers: dict) -> float:
        start = time.perf_counter()
        client.get(host, path, headers)
        end = time.perf_counter()
        gc.collect(1)  # this request's garbage, outside its timing (see the docstring)
        collecting.append((time.perf_counter() - end) * 1000)
        return (end - start) * 1000

    gc.collect()
    for _ in range(ROUNDS):
        for label, host, path, headers, floor_host, floor_path in table:
            times[label][0].append(timed(host, path, headers))
            times[label][1].append(timed(floor_host, floor_path, {}))
    print(
        f"\nin-process, through Django's WSGI handler ({ROUNDS} interleaved rounds, medians; "
        "SQL of one warm request, the connection's health check not counted)"
    )
    print(f"| {'request':<30} | SQL | floor SQL | {'ms':>6} | {'floor ms':>8} | ratio |")
    print(f"|{'-' * 32}|-----|-----------|{'-' * 8}|{'-' * 10}|-------|")
    worst = 0.0
    for label, *_rest in table:
        page, floor = (statistics.median(values) for values in times[label])
        ratio = page / floor
        worst = max(worst, ratio)
        sql, floor_sql = counts[label]
        print(
            f"| {label:<30} | {sql:>3} | {floor_sql:>9} | {page:>6.2f} | {floor:>8.2f} | "
            f"{ratio:>5.2f} |"
        )
    print(
        f"young collections after each request, outside the timing: median "
        f"{statistics.median(collecting) * 1000:.0f} us, max {max(collecting):.2f} ms"
    )
    verdict = "meets" if worst <= GOAL else "misses"
    print(f"worst ratio {worst:.2f}: {verdict} the goal of {GOAL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
