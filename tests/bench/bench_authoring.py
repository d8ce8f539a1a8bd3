#!/usr/bin/env python3
"""Documents written together: 50 editors on one document, and 200 documents open.

1. 50 simulated editors (each a WebSocket and a pycrdt document, like a browser's Yjs) on
   one document on loopback, served by one uvicorn process (config.asgi). Two loads:
   - one change at a time (round robin over the editors, 300 changes): the pure time from
     an editor sending a change to every other editor having it;
   - everyone typing (each editor sends a change every second, at random offsets, for
     20 s: 50 changes/s, 2,450 deliveries/s).
   "Seen" is the moment an editor receives the change (the server forwards the update's
   bytes unchanged, so each delivery is matched to its send time); a change is committed
   to PostgreSQL before it is forwarded. p50 and p99 over every (change, receiver) pair;
   goal: p99 under 100 ms.
2. The resident memory of the uvicorn process with 200 documents open (one editor on
   each, each document about 4 KB of text), next to the same process idle.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import socket
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
from pycrdt import (  # noqa: E402
    Decoder,
    Doc,
    XmlElement,
    XmlFragment,
    XmlText,
    create_sync_message,
    handle_sync_message,
    write_var_uint,
)

from tenant_apps.authoring import ydoc  # noqa: E402
from tenant_apps.content.models import ContentItem  # noqa: E402
from tenant_apps.content.services import content_create_document, content_share  # noqa: E402
from tenant_apps.people.models import User  # noqa: E402
from tenant_apps.people.services import user_create  # noqa: E402
from tests.bench.bench_people import ensure as ensure_people  # noqa: E402

EDITORS = 50
OPEN_DOCUMENTS = 200
SEQUENTIAL_CHANGES = 300
TYPING_SECONDS = 20
GOAL_P99_MS = 100


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class SimEditor:
    def __init__(self, ws, index: int) -> None:
        self.ws = ws
        self.index = index
        self.doc = Doc()
        self.fragment = self.doc.get(ydoc.FRAGMENT, type=XmlFragment)
        self.synced = asyncio.Event()
        self.sent_at: list[float] = []
        self.acked = 0
        self.on_update = None
        self.ack_ms: list[float] = []
        self.pong: asyncio.Future | None = None

    async def run(self) -> None:
        async for message in self.ws:
            if isinstance(message, str):
                if self.pong is not None and '"pong"' in message:
                    self.pong.set_result(time.perf_counter())
                continue
            if message[0] == 0 and message[1] == 0:
                self.sent_at.append(time.perf_counter())
                await self.ws.send(handle_sync_message(message[1:], self.doc))
                await self.ws.send(create_sync_message(self.doc))
            elif message[0] == 0 and message[1] == 1:
                handle_sync_message(message[1:], self.doc)
                self.synced.set()
            elif message[0] == 0 and message[1] == 2:
                seen = time.perf_counter()
                if self.on_update is not None:
                    self.on_update(self, message, seen)
            elif message[0] == 3:
                now = time.perf_counter()
                count = Decoder(message[1:]).read_var_uint()
                self.ack_ms += [(now - t) * 1000 for t in self.sent_at[self.acked : count]]
                self.acked = count

    def change(self, text: str) -> bytes:
        before = self.doc.get_state()
        paragraph = self.fragment.children.append(XmlElement("paragraph"))
        paragraph.children.append(XmlText()).insert(0, text)
        update = self.doc.get_update(before)
        return bytes([0, 2]) + write_var_uint(len(update)) + update


async def _connect(port: int, host: str, cookie: str, public_id: str, index: int) -> SimEditor:
    from websockets.asyncio.client import connect

    sock = socket.create_connection(("127.0.0.1", port))
    sock.setblocking(False)
    ws = await connect(
        f"ws://{host}:{port}/ws/documents/{public_id}",
        sock=sock,
        additional_headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}",
            "Origin": f"http://{host}",
        },
        open_timeout=120,
        ping_interval=None,
        max_size=None,
    )
    hello = json.loads(await ws.recv())
    assert hello["kind"] == "hello" and hello["rights"] == "edit", hello
    editor = SimEditor(ws, index)
    editor.task = asyncio.create_task(editor.run())
    await asyncio.wait_for(editor.synced.wait(), 60)
    return editor


async def _editing(port: int, host: str, cookies: list[str], public_id: str) -> None:
    editors = []
    for start in range(0, len(cookies), 10):
        editors += await asyncio.gather(
            *(
                _connect(port, host, cookie, public_id, start + n)
                for n, cookie in enumerate(cookies[start : start + 10])
            )
        )
    sent_at: dict[bytes, tuple[float, int]] = {}
    samples: list[float] = []
    outstanding: dict[bytes, int] = {}

    def seen(editor: SimEditor, message: bytes, when: float) -> None:
        entry = sent_at.get(message)
        if entry is None or entry[1] == editor.index:
            return
        samples.append((when - entry[0]) * 1000)
        outstanding[message] -= 1
        if outstanding[message] == 0:
            del outstanding[message]

    for editor in editors:
        editor.on_update = seen

    async def send(editor: SimEditor, text: str) -> None:
        message = editor.change(text)
        outstanding[message] = len(editors) - 1
        sent_at[message] = (time.perf_counter(), editor.index)
        editor.sent_at.append(sent_at[message][0])
        await editor.ws.send(message)

    # 0. the baseline of this run: a ping's round trip through the same process and socket
    pings = []
    for n in range(SEQUENTIAL_CHANGES):
        editor = editors[n % len(editors)]
        editor.pong = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        await editor.ws.send(json.dumps({"kind": "ping"}))
        pings.append((await asyncio.wait_for(editor.pong, 10) - started) * 1000)
        editor.pong = None
    # 1. one change at a time
    for n in range(SEQUENTIAL_CHANGES):
        editor = editors[n % len(editors)]
        await send(editor, f"change {n} by editor {editor.index}")
        deadline = time.monotonic() + 10
        while outstanding and time.monotonic() < deadline:
            await asyncio.sleep(0.0005)
    sequential = list(samples)
    sequential_acks = [ms for e in editors for ms in e.ack_ms]
    for editor in editors:
        editor.ack_ms.clear()
    lost = len(outstanding)
    # 2. everyone typing
    samples.clear()
    outstanding.clear()

    async def typist(editor: SimEditor) -> int:
        await asyncio.sleep(random.random())
        count = 0
        end = time.monotonic() + TYPING_SECONDS
        while time.monotonic() < end:
            await send(editor, f"typed {count} by {editor.index}")
            count += 1
            await asyncio.sleep(1.0)
        return count

    started = time.monotonic()
    changes = sum(await asyncio.gather(*(typist(e) for e in editors)))
    deadline = time.monotonic() + 30
    while outstanding and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    elapsed = time.monotonic() - started
    print()
    print(f"{len(editors)} editors on one document, one uvicorn process, loopback")
    print(
        f"  baseline, same run: a ping's round trip p50 {_percentile(pings, 0.5):.1f} ms, "
        f"p99 {_percentile(pings, 0.99):.1f} ms"
    )
    await asyncio.sleep(2)
    typing_acks = [ms for e in editors for ms in e.ack_ms]
    for label, values, acks, count in (
        ("one change at a time", sequential, sequential_acks, SEQUENTIAL_CHANGES),
        (
            f"everyone typing ({changes / TYPING_SECONDS:.0f} changes/s)",
            samples,
            typing_acks,
            changes,
        ),
    ):
        p50, p99 = _percentile(values, 0.5), _percentile(values, 0.99)
        verdict = "met" if p99 < GOAL_P99_MS else "MISSED"
        print(
            f"  {label}: {count:,} changes, {len(values):,} deliveries; change to seen "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(values):.1f} ms "
            f"(goal p99 < {GOAL_P99_MS} ms: {verdict}); change to committed (acknowledged) "
            f"p50 {_percentile(acks, 0.5):.1f} ms, p99 {_percentile(acks, 0.99):.1f} ms"
        )
    if lost or outstanding:
        print(f"  NOT DELIVERED: {lost + len(outstanding)} changes")
    load = os.getloadavg()[0]
    print(
        f"  (typing phase took {elapsed:.1f} s; load average {load:.1f} on {os.cpu_count()} cores)"
    )
    for editor in editors:
        editor.task.cancel()
    await asyncio.gather(*(e.ws.close() for e in editors))


async def _open_documents(port: int, host: str, cookie: str, ids: list[str]) -> None:
    idle = _rss_kib(SERVER.pid)
    editors = []
    started = time.perf_counter()
    for start in range(0, len(ids), 20):
        editors += await asyncio.gather(
            *(
                _connect(port, host, cookie, public_id, start + n)
                for n, public_id in enumerate(ids[start : start + 20])
            )
        )
    opened = time.perf_counter() - started
    await asyncio.sleep(2)
    with_docs = _rss_kib(SERVER.pid)
    print()
    print(f"{len(ids)} documents open on one uvicorn process (one editor each)")
    print(f"  opened (authenticated, loaded from PostgreSQL, synced) in {opened:.1f} s")
    print(
        f"  resident memory: {idle / 1024:.0f} MiB before, {with_docs / 1024:.0f} MiB with "
        f"them ({(with_docs - idle) / len(ids):.0f} KiB a document and its connection)"
    )
    for editor in editors:
        editor.task.cancel()
    await asyncio.gather(*(e.ws.close() for e in editors))


SERVER: subprocess.Popen


def _cookie(host: str, user: User) -> str:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def main() -> int:
    global SERVER
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    tenant = ensure_people("authoring", 10)
    host = tenant.domains.get(is_primary=True).domain
    paragraph = "<p>" + ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 8) + "</p>"
    with schema_context(tenant.schema_name):
        people = []
        for n in range(EDITORS):
            person = User.objects.filter(username=f"editor{n}").first()
            people.append(person or user_create(username=f"editor{n}", display_name=f"Editor {n}"))
        owner = people[0]
        shared = ContentItem.objects.filter(title="Bench: 50 editors").first()
        if shared is None:
            shared = content_create_document(
                actor=owner, title="Bench: 50 editors", body="<p>x</p>"
            )
            content_share(actor=owner, item=shared, principals=people[1:], role="editor")
        cookies = [_cookie(host, person) for person in people]
        documents = list(
            ContentItem.objects.filter(title__startswith="Bench: open ").values_list(
                "public_id", flat=True
            )
        )
        for n in range(len(documents), OPEN_DOCUMENTS):
            item = content_create_document(
                actor=owner, title=f"Bench: open {n}", body=paragraph * 8
            )
            documents.append(item.public_id)
    connection.set_schema_to_public()
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
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "AUTHORING_REVISION_PAUSE_SECONDS": "5",
        },
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        time.sleep(1)
        asyncio.run(_editing(port, host, cookies, shared.public_id))
        time.sleep(6)  # the rooms close once their editors are gone
        asyncio.run(_open_documents(port, host, cookies[0], documents[:OPEN_DOCUMENTS]))
    finally:
        SERVER.terminate()
        SERVER.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
