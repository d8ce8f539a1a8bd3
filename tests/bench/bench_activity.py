#!/usr/bin/env python3
"""Activities: feeds in a large institution next to a small one, a post to a large group next
to a small one, and 1,000 idle live connections on one ASGI process.

1. Feeds (goal: within 20%). Two institutions: 500 people with 10,000 activities, and
   50,000 people with 1,000,000 activities, about content items (10 activities per item),
   fanned out to two people each plus the viewer, who has 2,000 feed entries in the small
   institution and 50,000 in the large one. Activities, items, shares and feed entries are
   COPYed in. The feed API (first and a deep page, after entry 1,500), the dashboard and
   the notification count are requested in alternating rounds; medians are compared.
2. A share with a group of 10,000 members next to one with 10 (goal: within 20%): the
   request writes one activity and queues the fan-out; the fan-out itself (feed entries and
   notifications for every member) is timed apart, as the worker runs it.
3. 1,000 idle WebSocket connections held by one uvicorn process (config.asgi): the time to
   open them, the process's resident memory before and after, and the time for one push to
   reach all of them.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import socket
import statistics
import subprocess
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
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from tenant_apps.activity.fanout import activity_fan_out  # noqa: E402
from tenant_apps.activity.models import Activity, FeedEntry  # noqa: E402
from tenant_apps.content.models import ContentItem  # noqa: E402
from tenant_apps.content.services import content_create_document  # noqa: E402
from tenant_apps.groups.models import Group  # noqa: E402
from tenant_apps.groups.services import group_create  # noqa: E402
from tenant_apps.people.models import User  # noqa: E402
from tenants.models import Tenant  # noqa: E402
from tests.bench.bench_people import ensure as ensure_people  # noqa: E402
from tests.bench.bench_social import _copy, _when  # noqa: E402

SIZES = {"activity-small": (500, 10_000, 2_000), "activity-large": (50_000, 1_000_000, 50_000)}
ACTIVITIES_PER_ITEM = 10
DEEP = 1_500
ROUNDS = 40
BIG_GROUP, SMALL_GROUP = 10_000, 10
LIVE_CONNECTIONS = 1_000
VERBS = ("content.created", "content.commented", "content.shared", "content.updated")


def load_activities(viewer: User, people: list[int], total: int, viewer_entries: int) -> None:
    rng = random.Random(total)
    items = total // ACTIVITIES_PER_ITEM
    _copy(
        "content_contentitem",
        (
            "public_id",
            "kind",
            "title",
            "description",
            "tags",
            "visibility",
            "created_by_id",
            "created",
            "modified",
            "url",
            "body_html",
        ),
        (
            # Most items are for signed-in members; one in ten is private (and shared only
            # with its creator), which the feed must leave out for everyone else.
            f"c_bench{i:012d}\tdocument\tNotes {i}\t\t{{}}\t"
            f"{'private' if i % 10 == 0 else 'loggedin'}\t{rng.choice(people)}\t"
            f"{_when(i)}\t{_when(i)}\t\t"
            for i in range(items)
        ),
    )
    first_item = ContentItem.objects.order_by("id").values_list("id", flat=True).first()
    owners = list(ContentItem.objects.values_list("id", "created_by_id"))  # not during COPY
    _copy(
        "content_share",
        ("item_id", "user_id", "role", "created"),
        (f"{pk}\t{owner}\tmanager\t{_when(0)}" for pk, owner in owners),
    )
    _copy(
        "activity_activity",
        (
            "public_id",
            "actor_id",
            "verb",
            "item_id",
            "data",
            "created",
            "is_fanned_out",
        ),
        (
            f"a_bench{i:012d}\t{rng.choice(people)}\t{VERBS[i % 4]}\t"
            f"{first_item + rng.randrange(items)}\t{{}}\t{_when(10**6 + i)}\tt"
            for i in range(total)
        ),
    )
    first = Activity.objects.order_by("id").values_list("id", flat=True).first()
    mine = set(rng.sample(range(total), viewer_entries))

    def entries():
        for i in range(total):
            a, b = rng.sample(people, 2)
            yield f"{a}\t{first + i}"
            yield f"{b}\t{first + i}"
            if i in mine:
                yield f"{viewer.pk}\t{first + i}"

    _copy("activity_feedentry", ("user_id", "activity_id"), entries())
    with connection.cursor() as cursor:
        for table in (
            "content_contentitem",
            "content_share",
            "activity_activity",
            "activity_feedentry",
        ):
            cursor.execute(f"ANALYZE {table}")


def ensure(slug: str, people: int, activities: int, viewer_entries: int) -> Tenant:
    tenant = ensure_people(slug, people)
    with schema_context(tenant.schema_name):
        viewer = User.objects.get(username="viewer")
        if not Activity.objects.exists():
            started = time.monotonic()
            pks = list(User.objects.exclude(pk=viewer.pk).values_list("pk", flat=True))
            load_activities(viewer, pks, activities, viewer_entries)
            print(
                f"  loaded {activities:,} activities into {slug} "
                f"in {time.monotonic() - started:.0f}s",
                flush=True,
            )
    return tenant


def timed(client: Client, method: str, path: str, **kwargs) -> float:
    started = time.perf_counter()
    response = getattr(client, method)(path, **kwargs)
    elapsed = time.perf_counter() - started
    if response.status_code not in (200, 201):
        sys.exit(
            f"{method.upper()} {path} answered {response.status_code}: {response.content[:300]}"
        )
    return elapsed


def compare(title, cases, clients, columns, labels, method="get", body=None) -> dict:
    times = {(case, key): [] for case in cases for key in columns}
    kwargs = {} if body is None else {"data": json.dumps(body), "content_type": "application/json"}
    for path in cases.values():
        for key in columns:
            for _ in range(5):
                timed(clients[key], method, path(key), **kwargs)  # warm-up
    for _ in range(ROUNDS):
        for case, path in cases.items():
            for key in columns:
                times[(case, key)].append(timed(clients[key], method, path(key), **kwargs))
    print()
    print(f"{title} ({ROUNDS} alternating rounds, median ms)")
    print(f"{'case':<26}{labels[0]:>16}{labels[1]:>16}{'ratio':>8}")
    out = {}
    for case in cases:
        first = statistics.median(times[(case, columns[0])]) * 1000
        second = statistics.median(times[(case, columns[1])]) * 1000
        out[case] = (first, second)
        print(f"{case:<26}{first:>16.2f}{second:>16.2f}{second / first:>8.2f}")
    return out


def bench_feeds() -> None:
    clients, deep = {}, {}
    for slug, (people, activities, mine) in SIZES.items():
        tenant = ensure(slug, people, activities, mine)
        client = Client(HTTP_HOST=tenant.domains.get(is_primary=True).domain)
        with schema_context(tenant.schema_name):
            viewer = User.objects.get(username="viewer")
            client.force_login(viewer)
            deep[slug] = (
                FeedEntry.objects.filter(user=viewer)
                .order_by("-activity_id")
                .values_list("activity__public_id", flat=True)[DEEP]
            )
        clients[slug] = client
    connection.set_schema_to_public()
    cases = {
        "feed API": lambda slug: "/api/v1/activity/",
        "feed API, deep": lambda slug: f"/api/v1/activity/?after={deep[slug]}",
        "dashboard (home page)": lambda slug: "/",
        "notifications API": lambda slug: "/api/v1/notifications/",
    }
    compare("my feed", cases, clients, tuple(SIZES), ("500p/10k act.", "50kp/1M act."))
    print("goal: 1,000,000 activities / 50,000 people within 20% of 10,000 / 500 (ratio <= 1.20)")


def ensure_groups(tenant: Tenant) -> tuple[Group, Group, ContentItem]:
    with schema_context(tenant.schema_name):
        viewer = User.objects.get(username="viewer")
        groups = {}
        for title, size in (("Big bench group", BIG_GROUP), ("Small bench group", SMALL_GROUP)):
            group = Group.objects.filter(title=title).first()
            if group is None:
                group = group_create(actor=viewer, title=title, join_policy="open")
                pks = list(
                    User.objects.exclude(pk=viewer.pk)
                    .order_by("?")
                    .values_list("pk", flat=True)[: size - 1]
                )
                _copy(
                    "groups_groupmembership",
                    ("group_id", "user_id", "role", "created"),
                    (f"{group.pk}\t{pk}\tmember\t{_when(i)}" for i, pk in enumerate(pks)),
                )
            groups[size] = group
        item = content_create_document(actor=viewer, title="Reading list")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE groups_groupmembership")
    return groups[BIG_GROUP], groups[SMALL_GROUP], item


def bench_group_post() -> None:
    large = ensure_people("activity-large", SIZES["activity-large"][0])
    client = Client(HTTP_HOST=large.domains.get(is_primary=True).domain)
    with schema_context(large.schema_name):
        client.force_login(User.objects.get(username="viewer"))
    big, small, item = ensure_groups(large)
    connection.set_schema_to_public()
    targets = {"big": big.public_id, "small": small.public_id}
    clients = {"big": client, "small": client}
    times = {key: [] for key in targets}
    for _ in range(5):
        for group_id in targets.values():
            timed(
                client,
                "post",
                f"/api/v1/content/{item.public_id}/shares/",
                data=json.dumps({"principals": [group_id]}),
                content_type="application/json",
            )
    for _ in range(ROUNDS):
        for key, group_id in targets.items():
            times[key].append(
                timed(
                    clients[key],
                    "post",
                    f"/api/v1/content/{item.public_id}/shares/",
                    data=json.dumps({"principals": [group_id]}),
                    content_type="application/json",
                )
            )
    small_ms = statistics.median(times["small"]) * 1000
    big_ms = statistics.median(times["big"]) * 1000
    print()
    print(f"sharing an item with a group ({ROUNDS} alternating rounds, median ms)")
    print(f"{'case':<26}{'10 members':>16}{'10,000 members':>16}{'ratio':>8}")
    print(f"{'share API request':<26}{small_ms:>16.2f}{big_ms:>16.2f}{big_ms / small_ms:>8.2f}")
    print("goal: the 10,000-member group within 20% of the 10-member one (ratio <= 1.20)")
    # The fan-out the worker runs after the commit, timed once per group.
    with schema_context(large.schema_name):
        for label, group in (("10", small), ("10,000", big)):
            (activity,) = Activity.objects.filter(
                group=group, verb="content.shared", is_fanned_out=False
            ).order_by("-id")[:1]
            started = time.perf_counter()
            feed, notified = activity_fan_out(activity.pk)
            elapsed = time.perf_counter() - started
            print(
                f"  fan-out (worker) for {label} members: {elapsed * 1000:,.0f} ms "
                f"({feed:,} feed entries, {notified:,} notifications)"
            )
    connection.set_schema_to_public()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _hold(port: int, host: str, cookie: str, count: int) -> None:
    from websockets.asyncio.client import connect

    async def one():
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        ws = await connect(
            f"ws://{host}:{port}/ws/live",
            sock=sock,
            additional_headers={
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}",
                "Origin": f"http://{host}",
            },
            open_timeout=120,
            ping_interval=None,
        )
        assert json.loads(await ws.recv()) == {"kind": "hello"}
        return ws

    before = _rss_kib(SERVER.pid)
    started = time.perf_counter()
    sockets = []
    for start in range(0, count, 100):  # in waves, as pages open over time
        sockets += await asyncio.gather(*(one() for _ in range(min(100, count - start))))
    opened = time.perf_counter() - started
    await asyncio.sleep(2)
    after = _rss_kib(SERVER.pid)
    print()
    print(f"{count:,} idle live connections on one uvicorn process")
    print(f"  opened (authenticated, subscribed) in {opened:.1f} s")
    print(
        f"  resident memory: {before / 1024:.0f} MiB before, {after / 1024:.0f} MiB with them "
        f"({(after - before) / count:.1f} KiB a connection)"
    )
    # One push to the person's group reaches every one of their open pages.
    from config.live import person_channel_group

    group = person_channel_group(SCHEMA, VIEWER_PK)
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    started = time.perf_counter()
    await layer.group_send(group, {"type": "live.event", "kind": "notifications"})
    await asyncio.gather(*(ws.recv() for ws in sockets))
    print(f"  one push reached all {count:,} in {(time.perf_counter() - started) * 1000:.0f} ms")
    await asyncio.gather(*(ws.close() for ws in sockets))


SERVER: subprocess.Popen
SCHEMA = ""
VIEWER_PK = 0


def bench_live() -> None:
    global SERVER, SCHEMA, VIEWER_PK
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    tenant = ensure_people("activity-small", SIZES["activity-small"][0])
    host = tenant.domains.get(is_primary=True).domain
    client = Client(HTTP_HOST=host)
    with schema_context(tenant.schema_name):
        viewer = User.objects.get(username="viewer")
        client.force_login(viewer)
        VIEWER_PK = viewer.pk
    SCHEMA = tenant.schema_name
    connection.set_schema_to_public()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    SERVER = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "uvicorn"),
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ws",
            "websockets-sansio",
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        # (the server inherits this process's raised limit on open files)
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        time.sleep(1)
        asyncio.run(_hold(port, host, cookie, LIVE_CONNECTIONS))
    finally:
        SERVER.terminate()
        SERVER.wait(timeout=30)


def main() -> int:
    # ACTIVITY_BENCH_PARTS=group,live runs some parts only (loading 1,000,000 activities
    # takes minutes).
    parts = set(os.environ.get("ACTIVITY_BENCH_PARTS", "feeds,group,live").split(","))
    if "feeds" in parts:
        bench_feeds()
    if "group" in parts:
        bench_group_post()
    if "live" in parts:
        bench_live()
    return 0


if __name__ == "__main__":
    sys.exit(main())
