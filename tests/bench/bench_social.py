#!/usr/bin/env python3
"""Messaging and group pages in a large institution next to a small one (goal: within 20%).

Two institutions: 500 people with 3,000 messages, and 50,000 people with 300,000
messages. People are bulk-loaded with COPY (as bench_people does), then threads,
messages and each participant's thread state are COPYed too. A viewer has the same
200 threads in both (one of them 100 messages long), so what differs is only what
else the institution holds. The inbox (first and a deep page), the unread count and a
thread page, in HTML and in the API, are requested in alternating rounds; medians are
compared. Then the member list of a 10,000-member group: its first page against its
last (goal: within 20%).
"""

from __future__ import annotations

import io
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from tenant_apps.groups.models import Group, GroupMembership  # noqa: E402
from tenant_apps.groups.services import group_create  # noqa: E402
from tenant_apps.messaging.models import Thread, ThreadState  # noqa: E402
from tenant_apps.people.models import User  # noqa: E402
from tenants.models import Tenant  # noqa: E402
from tests.bench.bench_people import ensure as ensure_people  # noqa: E402

SIZES = {"social-small": (500, 3_000), "social-large": (50_000, 300_000)}
VIEWER_THREADS = 200
LONG_THREAD = 100  # messages in the viewer's thread whose page is measured
GROUP_MEMBERS = 10_000
ROUNDS = 40
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
BODY = "<p>Shall we meet after the seminar to go through the reading list?</p>"


class _Lines(io.RawIOBase):
    """A readable stream over an iterator of TSV lines, for COPY."""

    def __init__(self, lines):
        self.lines, self.buffer = iter(lines), b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while len(self.buffer) < len(target):
            chunk = [line for _, line in zip(range(5000), self.lines, strict=False)]
            if not chunk:
                break
            self.buffer += ("\n".join(chunk) + "\n").encode()
        size = min(len(target), len(self.buffer))
        target[:size], self.buffer = self.buffer[:size], self.buffer[size:]
        return size


def _copy(table: str, columns: tuple[str, ...], lines) -> None:
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN",
            io.BufferedReader(_Lines(lines), buffer_size=1 << 20),
        )


def _when(seconds: int) -> str:
    return (EPOCH + timedelta(seconds=seconds)).isoformat()


def load_messages(viewer: User, people: list[int], total: int, seed: int) -> None:
    """Threads of two: the viewer's 200 (one of them long) and others' to ``total`` messages."""
    rng = random.Random(seed)
    plan = []  # (a, b, messages, start second)
    for index in range(VIEWER_THREADS):
        count = LONG_THREAD if index == 0 else 3
        plan.append((viewer.pk, rng.choice(people), count, rng.randrange(10**7)))
    remaining = total - sum(p[2] for p in plan)
    while remaining > 0:
        a, b = rng.sample(people, 2)
        count = min(3, remaining)
        plan.append((a, b, count, rng.randrange(10**7)))
        remaining -= count
    _copy(
        "messaging_thread",
        ("public_id", "subject", "created_by_id", "created", "last_message_at"),
        (
            f"t_bench{i:010d}\tThread {i}\t{a}\t{_when(s)}\t{_when(s + n - 1)}"
            for i, (a, _b, n, s) in enumerate(plan)
        ),
    )
    base = Thread.objects.order_by("id").values_list("id", flat=True).first()

    def messages():
        number = 0
        for i, (a, b, n, s) in enumerate(plan):
            for k in range(n):
                yield (
                    f"m_bench{number:010d}\t{base + i}\t{a if k % 2 == 0 else b}\t{BODY}\t"
                    f"{_when(s + k)}"
                )
                number += 1

    _copy(
        "messaging_message", ("public_id", "thread_id", "sender_id", "body", "created"), messages()
    )

    def states():
        # a writes messages 0, 2, 4...; b writes 1, 3, 5...
        for i, (a, b, n, s) in enumerate(plan):
            last = _when(s + n - 1)
            a_sent = _when(s + (n - 1 if (n - 1) % 2 == 0 else n - 2))
            b_sent = _when(s + (n - 1 if (n - 1) % 2 == 1 else n - 2)) if n > 1 else "\\N"
            folder = "archive" if i % 10 == 9 else "inbox"
            unread = "t" if i % 3 == 0 else "f"
            yield f"{base + i}\t{a}\t{folder}\tf\t{last}\t{a_sent}\t\\N"
            yield f"{base + i}\t{b}\t{folder}\t{unread}\t{last}\t{b_sent}\t\\N"

    _copy(
        "messaging_threadstate",
        (
            "thread_id",
            "user_id",
            "folder",
            "is_unread",
            "last_message_at",
            "last_sent_at",
            "hidden_before",
        ),
        states(),
    )
    with connection.cursor() as cursor:
        for table in ("messaging_thread", "messaging_message", "messaging_threadstate"):
            cursor.execute(f"ANALYZE {table}")


def ensure(slug: str, people: int, messages: int) -> Tenant:
    tenant = ensure_people(slug, people)
    with schema_context(tenant.schema_name):
        viewer = User.objects.get(username="viewer")
        if not Thread.objects.exists():
            started = time.monotonic()
            pks = list(User.objects.exclude(pk=viewer.pk).values_list("pk", flat=True))
            load_messages(viewer, pks, messages, seed=people)
            print(
                f"  loaded {messages:,} messages into {slug} in {time.monotonic() - started:.0f}s",
                flush=True,
            )
    return tenant


def ensure_group(tenant: Tenant) -> Group:
    with schema_context(tenant.schema_name):
        group = Group.objects.filter(title="Bench group").first()
        if group is None:
            viewer = User.objects.get(username="viewer")
            group = group_create(actor=viewer, title="Bench group", join_policy="open")
            pks = list(
                User.objects.exclude(pk=viewer.pk)
                .order_by("id")
                .values_list("pk", flat=True)[: GROUP_MEMBERS - 1]
            )
            _copy(
                "groups_groupmembership",
                ("group_id", "user_id", "role", "created"),
                (f"{group.pk}\t{pk}\tmember\t{_when(i)}" for i, pk in enumerate(pks)),
            )
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE groups_groupmembership")
        return group


def timed(client: Client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        sys.exit(f"{path} answered {response.status_code}")
    return elapsed


def compare(title: str, cases: dict, clients: dict, columns: tuple[str, str], labels) -> None:
    times = {(case, key): [] for case in cases for key in columns}
    for path in cases.values():
        for key in columns:
            for _ in range(5):
                timed(clients[key], path(key))  # warm-up
    for _ in range(ROUNDS):
        for case, path in cases.items():
            for key in columns:
                times[(case, key)].append(timed(clients[key], path(key)))
    print()
    print(f"{title} ({ROUNDS} alternating rounds, median ms)")
    print(f"{'case':<26}{labels[0]:>14}{labels[1]:>14}{'ratio':>8}")
    for case in cases:
        first = statistics.median(times[(case, columns[0])]) * 1000
        second = statistics.median(times[(case, columns[1])]) * 1000
        print(f"{case:<26}{first:>14.2f}{second:>14.2f}{second / first:>8.2f}")


def main() -> int:
    clients, threads, deep = {}, {}, {}
    for slug, (people, messages) in SIZES.items():
        tenant = ensure(slug, people, messages)
        client = Client(HTTP_HOST=tenant.domains.get(is_primary=True).domain)
        with schema_context(tenant.schema_name):
            viewer = User.objects.get(username="viewer")
            client.force_login(viewer)
            mine = ThreadState.objects.filter(user=viewer, folder="inbox").order_by(
                "-last_message_at", "-id"
            )
            deep[slug] = mine.values_list("thread__public_id", flat=True)[150]
            threads[slug] = (
                Thread.objects.filter(created_by=viewer)
                .order_by("id")
                .values_list("public_id", flat=True)
                .first()
            )
        clients[slug] = client
    connection.set_schema_to_public()
    cases = {
        "inbox page": lambda slug: "/messages/",
        "inbox page, deep": lambda slug: f"/messages/?after={deep[slug]}",
        "inbox API": lambda slug: "/api/v1/messages/?limit=50",
        "unread counts API": lambda slug: "/api/v1/messages/unread",
        "thread page": lambda slug: f"/messages/{threads[slug]}",
        "thread messages API": lambda slug: f"/api/v1/messages/{threads[slug]}/messages/?limit=50",
    }
    compare(
        "messaging",
        cases,
        clients,
        tuple(SIZES),
        ("500p/3k msg", "50kp/300k msg"),
    )
    print("goal: 300,000 messages / 50,000 people within 20% of 3,000 / 500 (ratio <= 1.20)")

    large = Tenant.objects.get(slug="social-large")
    group = ensure_group(large)
    with schema_context(large.schema_name):
        members = GroupMembership.objects.filter(group=group).order_by("id")
        last_after = members.values_list("user__public_id", flat=True)[GROUP_MEMBERS - 51]
    connection.set_schema_to_public()
    # The API's last page: follow the cursor to the end once.
    url, last_api = f"/api/v1/groups/{group.public_id}/members/?limit=50", None
    client = clients["social-large"]
    while url:
        last_api = url
        url = client.get(url).json()["next"]
    pages = {"first": "first", "last": "last"}
    group_cases = {
        "member page": lambda key: (
            f"/groups/{group.public_id}/members"
            + ("" if key == "first" else f"?after={last_after}")
        ),
        "member list API": lambda key: (
            f"/api/v1/groups/{group.public_id}/members/?limit=50" if key == "first" else last_api
        ),
    }
    compare(
        f"a group of {GROUP_MEMBERS:,} members",
        group_cases,
        {key: client for key in pages},
        tuple(pages),
        ("first page", "last page"),
    )
    print("goal: the last page within 20% of the first (ratio <= 1.20)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
