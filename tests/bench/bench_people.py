#!/usr/bin/env python3
"""The people directory with 1,000,000 people next to 1,000 (goal: within 20%).

Two institutions are provisioned and filled with a bulk loader (COPY straight into
their schema's people table, no ORM), then a signed-in member's directory page
(HTML, first page and a page deep into the alphabet) and the directory API are
requested in alternating rounds; medians are compared.
"""

from __future__ import annotations

import io
import os
import random
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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from shared_apps.audit.services import Actor  # noqa: E402
from tenant_apps.people.models import User  # noqa: E402
from tenant_apps.people.services import user_create  # noqa: E402
from tenants.models import Tenant  # noqa: E402
from tenants.services import tenant_create  # noqa: E402

SIZES = {"dir-small": 1_000, "dir-large": 1_000_000}
ROUNDS = 40
GIVEN = [
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Ema",
    "Femi",
    "Gus",
    "Hana",
    "Ivo",
    "Jun",
    "Kai",
    "Lea",
    "Mo",
    "Nia",
    "Oli",
    "Pia",
    "Raj",
    "Sam",
    "Tia",
    "Uma",
    "Vic",
    "Wen",
    "Xia",
    "Yan",
    "Zoe",
]
FAMILY = [
    "Archer",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fox",
    "Garcia",
    "Hill",
    "Ito",
    "Jones",
    "Khan",
    "Lopez",
    "Mills",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Smith",
    "Tanaka",
    "Usman",
    "Vance",
    "Wong",
    "Young",
    "Zhou",
]
COLUMNS = (
    "password",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
    "public_id",
    "display_name",
    "department",
    "role",
    "biography",
    "display_name_visibility",
    "department_visibility",
    "role_visibility",
    "biography_visibility",
    "listed_in_directory",
)


class _Rows(io.RawIOBase):
    """A readable stream of TSV rows for COPY, generated as it is read."""

    def __init__(self, count: int, seed: int):
        self.random = random.Random(seed)
        self.count, self.done, self.buffer = count, 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while len(self.buffer) < len(target) and self.done < self.count:
            lines = []
            for _ in range(min(5000, self.count - self.done)):
                index = self.done
                name = (
                    f"{self.random.choice(GIVEN)} {self.random.choice(FAMILY)} "
                    f"{self.random.randrange(10**6):06d}"
                )
                lines.append(
                    "\t".join(
                        (
                            "!",
                            "f",
                            f"p{index}",
                            "",
                            "",
                            f"p{index}@bench.example",
                            "f",
                            "t",
                            "2026-01-01 00:00:00+00",
                            f"u_bench{index:09d}",
                            name,
                            "Physics",
                            "Student",
                            "",
                            "loggedin",
                            "loggedin",
                            "loggedin",
                            "loggedin",
                            "t",
                        )
                    )
                )
                self.done += 1
            self.buffer += ("\n".join(lines) + "\n").encode()
        size = min(len(target), len(self.buffer))
        target[:size], self.buffer = self.buffer[:size], self.buffer[size:]
        return size


def ensure(slug: str, count: int) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        tenant = tenant_create(slug=slug, name=slug, actor=Actor.system("bench"))
    with schema_context(tenant.schema_name):
        have = User.objects.count()
        if have < count:
            started = time.monotonic()
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(
                    f"COPY people_user ({', '.join(COLUMNS)}) FROM STDIN",
                    io.BufferedReader(_Rows(count - have, seed=count), buffer_size=1 << 20),
                )
                cursor.execute("ANALYZE people_user")
            print(
                f"  loaded {count - have:,} people into {slug} "
                f"in {time.monotonic() - started:.0f}s",
                flush=True,
            )
        if not User.objects.filter(username="viewer").exists():
            user_create(username="viewer", display_name="Viewer")
    return tenant


def timed(client: Client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        sys.exit(f"{path} answered {response.status_code}")
    return elapsed


def main() -> int:
    clients = {}
    for slug, count in SIZES.items():
        tenant = ensure(slug, count)
        client = Client(HTTP_HOST=tenant.domains.get(is_primary=True).domain)
        with schema_context(tenant.schema_name):
            client.force_login(User.objects.get(username="viewer"))
        clients[slug] = client
    connection.set_schema_to_public()
    # A page deep into the alphabet: start after a person named "Y...".
    deep = {}
    for slug in SIZES:
        with schema_context(Tenant.objects.get(slug=slug).schema_name):
            deep[slug] = (
                User.objects.filter(display_name__gte="Yan")
                .order_by("display_name", "id")
                .values_list("public_id", flat=True)
                .first()
            )
    cases = {
        "directory page": lambda slug: "/people/",
        "directory page, deep": lambda slug: f"/people/?after={deep[slug]}",
        "directory API": lambda slug: "/api/v1/people/?limit=50",
        "search": lambda slug: "/people/?q=Chen",
    }
    times = {(case, slug): [] for case in cases for slug in SIZES}
    for path in cases.values():
        for slug in SIZES:
            for _ in range(5):
                timed(clients[slug], path(slug))  # warm-up
    for _ in range(ROUNDS):
        for case, path in cases.items():
            for slug in SIZES:
                times[(case, slug)].append(timed(clients[slug], path(slug)))
    print()
    print(f"people directory ({ROUNDS} alternating rounds, median ms)")
    print(f"{'case':<24}{'1,000':>10}{'1,000,000':>12}{'ratio':>8}")
    for case in cases:
        small = statistics.median(times[(case, "dir-small")]) * 1000
        large = statistics.median(times[(case, "dir-large")]) * 1000
        print(f"{case:<24}{small:>10.2f}{large:>12.2f}{large / small:>8.2f}")
    print("goal: 1,000,000 within 20% of 1,000 (ratio <= 1.20)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
