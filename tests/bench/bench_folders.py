#!/usr/bin/env python3
"""Folders: the first and the last page of a folder of 10,000 items.

A folder of 10,000 items (and, for scale, one of 100) is bulk loaded with SQL; the
items are visible to signed-in members, so a reader who is not the folder's manager
sees them through the content library's rule. Timed in alternating rounds (median):

- the folder's page (HTML) for its manager, first page and last page (``?after=``);
- the items API (``/api/v1/folders/{id}/items/?limit=50``) for a reader, first page
  and last page (the cursor of the last page, found by walking the pages once).

Goal: the last page within 20% of the first (ratio <= 1.20); the 100-item folder's
first page is printed as the same run's baseline.
"""

from __future__ import annotations

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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from shared_apps.audit.services import Actor  # noqa: E402
from tenant_apps.folders.models import Folder, FolderItem  # noqa: E402
from tenant_apps.folders.services import folder_create  # noqa: E402
from tenant_apps.people.models import User  # noqa: E402
from tenant_apps.people.services import user_create  # noqa: E402
from tenants.models import Tenant  # noqa: E402
from tenants.services import tenant_create  # noqa: E402

SLUG = "folder-bench"
SIZES = {"small": 100, "large": 10_000}
ROUNDS = int(os.environ.get("BENCH_FOLDER_ROUNDS", "30"))
PAGE = 50


def ensure_tenant() -> Tenant:
    tenant = Tenant.objects.filter(slug=SLUG).first()
    return tenant or tenant_create(slug=SLUG, name=SLUG, actor=Actor.system("bench"))


def ensure_user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    return user or user_create(username=username, display_name=username.title())


def ensure_folder(owner: User, name: str, count: int) -> Folder:
    """A folder titled ``name`` holding ``count`` items of ``owner`` (made once, by SQL)."""
    folder = Folder.objects.filter(title=name).first()
    if folder is not None and FolderItem.objects.filter(folder=folder).count() == count:
        return folder
    folder = folder or folder_create(actor=owner, title=name, visibility="loggedin")
    started = time.monotonic()
    prefix = f"c_{name[:2]}"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO content_contentitem (public_id, kind, title, description, tags, "
            "visibility, created_by_id, created, modified, url, body_html) "
            "SELECT %s || lpad(n::text, 10, '0'), 'link', 'Reading ' || n, '', '{}', "
            "'loggedin', %s, now() - n * interval '1 second', now() - n * interval '1 second', "
            "'https://example.org/' || n, '' FROM generate_series(1, %s) n",
            [prefix, owner.pk, count],
        )
        cursor.execute(
            "INSERT INTO content_share (item_id, user_id, role, created, shared) "
            "SELECT id, created_by_id, 'manager', created, created FROM content_contentitem "
            "WHERE public_id LIKE %s",
            [prefix + "%"],
        )
        cursor.execute(
            "INSERT INTO folders_folderitem (folder_id, item_id, added_by_id, added) "
            "SELECT %s, id, %s, now() FROM content_contentitem WHERE public_id LIKE %s "
            "ORDER BY id",
            [folder.pk, owner.pk, prefix + "%"],
        )
        for table in ("content_contentitem", "content_share", "folders_folderitem"):
            cursor.execute(f"ANALYZE {table}")
    print(f"  loaded {count:,} items into {name} in {time.monotonic() - started:.0f}s", flush=True)
    return folder


def timed(client: Client, path: str, **headers) -> float:
    started = time.perf_counter()
    response = client.get(path, **headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        sys.exit(f"{path} answered {response.status_code}")
    return elapsed


def main() -> int:
    tenant = ensure_tenant()
    host = tenant.domains.get(is_primary=True).domain
    with schema_context(tenant.schema_name):
        owner, reader = ensure_user("owner"), ensure_user("reader")
        folders = {size: ensure_folder(owner, f"{size}-folder", n) for size, n in SIZES.items()}
        last_anchor = {}
        for size, folder in folders.items():
            # The HTML page continues after the last item shown: the last page starts after
            # the item at position count - PAGE (newest addition first).
            entries = FolderItem.objects.filter(folder=folder).order_by("-id")
            last_anchor[size] = entries.values_list("item__public_id", flat=True)[
                SIZES[size] - PAGE - 1
            ]
        from tenant_apps.people.services import token_create

        token = token_create(user=reader, name="bench")[1]
    connection.set_schema_to_public()
    manager = Client(HTTP_HOST=host)
    with schema_context(tenant.schema_name):
        manager.force_login(owner)
    connection.set_schema_to_public()
    api = Client(HTTP_HOST=host)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    last_api = {}
    for size, folder in folders.items():
        url = f"/api/v1/folders/{folder.public_id}/items/?limit={PAGE}"
        while True:
            body = api.get(url, **auth).json()
            if not body["next"]:
                break
            last_api[size], url = body["next"], body["next"]
    cases = {}
    for size, folder in folders.items():
        page = f"/folders/{folder.public_id}"
        cases[("folder page, first", size)] = (manager, page, {})
        cases[("folder page, last", size)] = (manager, f"{page}?after={last_anchor[size]}", {})
        items = f"/api/v1/folders/{folder.public_id}/items/?limit={PAGE}"
        cases[("items API, first", size)] = (api, items, auth)
        cases[("items API, last", size)] = (api, last_api[size], auth)
    times: dict = {key: [] for key in cases}
    for client, path, headers in cases.values():
        for _ in range(3):
            timed(client, path, **headers)
    for _ in range(ROUNDS):
        for key, (client, path, headers) in cases.items():
            times[key].append(timed(client, path, **headers))
    ms = {key: statistics.median(values) * 1000 for key, values in times.items()}
    print()
    print(f"a folder's pages ({ROUNDS} alternating rounds, median ms)")
    print(f"{'case':<22}{'100 items':>12}{'10,000 items':>14}")
    for case in ("folder page, first", "folder page, last", "items API, first", "items API, last"):
        print(f"{case:<22}{ms[(case, 'small')]:>12.2f}{ms[(case, 'large')]:>14.2f}")
    ratios = {
        "folder page": ms[("folder page, last", "large")] / ms[("folder page, first", "large")],
        "items API": ms[("items API, last", "large")] / ms[("items API, first", "large")],
    }
    for name, ratio in ratios.items():
        verdict = "meets" if ratio <= 1.2 else "misses"
        print(f"{name}: last/first page of 10,000 = {ratio:.2f} ({verdict} the goal of 1.20)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
