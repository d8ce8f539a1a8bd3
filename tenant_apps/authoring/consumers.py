"""Co-editing over the live channel: one WebSocket per open editor, one room per document.

A room (per ASGI process and document) holds the document's Yjs state in memory,
loaded from the institution's schema. The wire protocol is y-websocket's: binary
frames whose first number is 0 (sync: step 1, step 2, update) or 1 (awareness), plus

- ``3 <n>`` from the server: the first ``n`` update messages this connection sent are
  committed (the page shows "Saved" only then);
- text frames of JSON for everything else (hello, errors, revisions, ping).

An editor's update is applied to the room's state and sent on at once to the other
editors (in this process directly, in other processes through the channel layer); it is
queued, written with the others queued meanwhile in one transaction (group commit), and
only then acknowledged to its sender. (Should the process die between the two, the
editors who received it hold it and send it back when they reconnect: the CRDT's sync
gives the server whatever it lacks.) A viewer's update is refused. Presence (awareness)
is rewritten by the server: each connection speaks for its own client ids, under the
person's visible name.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from pycrdt import Decoder, create_sync_message, handle_sync_message, write_var_uint

from config.live import REFUSED, document_channel_group
from tenant_apps.authoring import live

log = logging.getLogger(__name__)

SYNC, AWARENESS, ACK = 0, 1, 3
STEP1, STEP2, UPDATE = 0, 1, 2
TOO_MANY = 4429
TOO_LARGE = 4413
BAD_MESSAGE = 4400
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]


def _db(fn):
    return database_sync_to_async(fn)


def _update_message(update: bytes) -> bytes:
    return bytes([SYNC, UPDATE]) + write_var_uint(len(update)) + update


def _awareness_message(entries: list[tuple[int, int, str]]) -> bytes:
    body = write_var_uint(len(entries))
    for client, clock, state in entries:
        raw = state.encode("utf-8")
        body += write_var_uint(client) + write_var_uint(clock) + write_var_uint(len(raw)) + raw
    return bytes([AWARENESS]) + write_var_uint(len(body)) + body


def _parse_awareness(payload: bytes) -> list[tuple[int, int, str]]:
    update = Decoder(payload).read_message() or b""
    decoder = Decoder(update)
    count = decoder.read_var_uint()
    entries = []
    for _ in range(min(count, 16)):
        client = decoder.read_var_uint()
        clock = decoder.read_var_uint()
        entries.append((client, clock, decoder.read_var_string()))
    return entries


class Room:
    """One document open in this process: its state, its local editors, its writer."""

    def __init__(self, tenant, item_id: int) -> None:
        self.tenant = tenant
        self.item_id = item_id
        self.group = document_channel_group(tenant.schema_name, item_id)
        self.token = uuid.uuid4().hex
        self.members: dict[DocumentConsumer, None] = {}
        self.awareness: dict[int, tuple[int, str]] = {}
        self.queue: asyncio.Queue = asyncio.Queue()
        self.doc = None
        self.size = 0
        self.closed = False
        self.pause: asyncio.TimerHandle | None = None
        self.tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        from tenant_apps.authoring import ydoc

        layer = get_channel_layer()
        self.channel = await layer.new_channel()
        # Join before loading: nothing published meanwhile is missed (applying twice is harmless).
        await layer.group_add(self.group, self.channel)
        state, self.size = await _db(live.open_document)(self.tenant, self.item_id)
        self.doc = ydoc.load(state)
        self.tasks = [
            asyncio.create_task(self._read()),
            asyncio.create_task(self._write()),
            asyncio.create_task(self._recheck()),
        ]

    # --- fan-out ------------------------------------------------------------------
    async def send_local(self, *, bytes_data=None, text_data=None, exclude=None) -> None:
        # One by one: a send only hands the frame to the server's transport (buffered),
        # so a slow reader does not hold up the others, and no task is made per frame.
        for member in list(self.members):
            if member is not exclude:
                await member.send_safely(bytes_data=bytes_data, text_data=text_data)

    async def forward(self, sender, update: bytes) -> None:
        """Send an editor's update to every other editor, here and in other live processes."""
        await self.send_local(bytes_data=_update_message(update), exclude=sender)
        await self.publish({"type": "doc.update", "updates": [update]})

    async def publish(self, message: dict) -> None:
        await get_channel_layer().group_send(self.group, {**message, "origin": self.token})

    async def _read(self) -> None:
        layer = get_channel_layer()
        while True:
            message = await layer.receive(self.channel)
            if message.get("origin") == self.token:
                continue
            kind = message.get("type")
            try:
                if kind == "doc.update":
                    for update in message.get("updates") or [message.get("update")]:
                        self.doc.apply_update(update)
                        await self.send_local(bytes_data=_update_message(update))
                elif kind == "doc.awareness":
                    entries = [tuple(e) for e in message["entries"]]
                    self._remember(entries)
                    await self.send_local(bytes_data=_awareness_message(entries))
                elif kind == "doc.access":
                    await asyncio.gather(*(m.recheck() for m in list(self.members)))
                elif kind == "doc.revision":
                    text = json.dumps(
                        {"kind": "revision", "id": message["id"], "number": message["number"]}
                    )
                    await self.send_local(text_data=text)
            except Exception:  # one bad message must not stop the room
                log.exception("authoring: room message failed")

    # --- the writer: group commit, then fan-out and acknowledgements ------------------
    async def _write(self) -> None:
        while True:
            first = await self.queue.get()
            if first is None:
                return
            batch = [first]
            while not self.queue.empty():
                entry = self.queue.get_nowait()
                if entry is None:
                    await self._commit(batch)
                    return
                batch.append(entry)
            await self._commit(batch)

    async def _commit(self, batch: list) -> None:
        real = [(author, update) for _, author, update in batch if update != b"\x00\x00"]
        if real:
            try:
                waiting = await _db(live.append)(self.tenant, self.item_id, real)
            except Exception:
                log.exception("authoring: could not store updates; editors reconnect")
                await self.fail()
                return
            self._schedule_revision()
            if waiting >= settings.AUTHORING_COMPACT_EVERY:
                self.size = await _db(live.compact)(self.tenant, self.item_id)
        acked: dict[DocumentConsumer, int] = {}
        for consumer, _, _ in batch:
            consumer.acked += 1
            acked[consumer] = consumer.acked
        for consumer, count in acked.items():
            await consumer.send_safely(bytes_data=bytes([ACK]) + write_var_uint(count))

    async def fail(self) -> None:
        """Storage failed: drop this room; its editors reconnect and sync against the log."""
        self.discarding = asyncio.create_task(rooms.discard(self))
        for member in list(self.members):
            member.closing = True
            await member.close(code=1011)

    # --- revisions --------------------------------------------------------------------
    def _schedule_revision(self) -> None:
        if self.pause is not None:
            self.pause.cancel()
        loop = asyncio.get_running_loop()
        self.pause = loop.call_later(
            settings.AUTHORING_REVISION_PAUSE_SECONDS, self._start_auto_revision
        )

    def _start_auto_revision(self) -> None:
        self.pending_revision = asyncio.create_task(self.auto_revision())

    async def auto_revision(self) -> None:
        try:
            await _db(live.take_revision)(self.tenant, self.item_id)
        except Exception:
            log.exception("authoring: automatic revision failed")

    async def _recheck(self) -> None:
        while True:
            await asyncio.sleep(settings.AUTHORING_RECHECK_SECONDS)
            for member in list(self.members):
                await member.recheck()

    # --- presence -------------------------------------------------------------------
    def _remember(self, entries) -> None:
        for client, clock, state in entries:
            if state == "null":
                self.awareness.pop(client, None)
            else:
                self.awareness[client] = (clock, state)

    def awareness_snapshot(self) -> bytes | None:
        entries = [(c, clock, s) for c, (clock, s) in self.awareness.items()]
        return _awareness_message(entries) if entries else None

    async def share_awareness(self, sender, entries) -> None:
        self._remember(entries)
        await self.send_local(bytes_data=_awareness_message(entries), exclude=sender)
        await self.publish({"type": "doc.awareness", "entries": [list(e) for e in entries]})

    # --- membership -------------------------------------------------------------------
    def editors(self) -> int:
        return sum(1 for m in self.members if m.rights == "edit")

    async def leave(self, member) -> None:
        self.members.pop(member, None)
        gone = [(c, self.awareness.get(c, (0, ""))[0] + 1, "null") for c in member.client_ids]
        if gone:
            await self.share_awareness(member, gone)
        if self.editors() == 0 and not self.closed:
            await self.drain()
            await self.auto_revision()  # the last editor left
        if not self.members:
            await rooms.discard(self)

    async def drain(self) -> None:
        """Wait until everything queued so far is committed."""
        if self.closed:
            return
        done = asyncio.Event()
        await self.queue.put((_Marker(done), None, b"\x00\x00"))
        await done.wait()

    async def stop(self) -> None:
        self.closed = True
        if self.pause is not None:
            self.pause.cancel()
        await self.queue.put(None)
        writer = self.tasks[1] if len(self.tasks) > 1 else None
        if writer is not None:
            try:
                await asyncio.wait_for(writer, timeout=30)
            except Exception:
                log.exception("authoring: writer did not finish")
        for task in self.tasks:
            task.cancel()
        try:
            await get_channel_layer().group_discard(self.group, self.channel)
        except Exception:
            log.exception("authoring: group_discard failed")


class _Marker:
    """A queue entry that only signals the writer reached it."""

    def __init__(self, event: asyncio.Event) -> None:
        self.event = event
        self.acked = 0

    async def send_safely(self, **kwargs) -> None:
        self.event.set()


class Rooms:
    """This process's open documents."""

    def __init__(self) -> None:
        self.rooms: dict[tuple[str, int], Room] = {}
        self.lock = asyncio.Lock()

    async def join(self, tenant, item_id: int, member) -> Room:
        key = (tenant.schema_name, item_id)
        async with self.lock:
            room = self.rooms.get(key)
            if room is None:
                room = Room(tenant, item_id)
                await room.start()
                self.rooms[key] = room
            room.members[member] = None
            return room

    async def discard(self, room: Room) -> None:
        key = (room.tenant.schema_name, room.item_id)
        async with self.lock:
            if self.rooms.get(key) is room and not room.closed:
                del self.rooms[key]
            else:
                return
        await room.stop()


rooms = Rooms()


class DocumentConsumer(AsyncWebsocketConsumer):
    """One editor (or viewer) of one document: ``/ws/documents/<c_id>``."""

    room: Room | None = None
    rights: str | None = None

    async def connect(self) -> None:
        tenant, user = self.scope["tenant"], self.scope["user"]
        public_id = self.scope["url_route"]["kwargs"]["public_id"]
        found = await _db(live.connect_rights)(tenant, user, public_id)
        if found is None or (found[1] == "view" and not settings.AUTHORING_VIEWERS_WATCH):
            await self.close(code=REFUSED)  # before accepting: the handshake gets a 403
            return
        self.item_id, self.rights, self.name = found
        self.user_id = user.pk
        self.colour = COLOURS[user.pk % len(COLOURS)]
        self.acked = 0
        self.client_ids: list[int] = []
        self.closing = False
        self.room = await rooms.join(tenant, self.item_id, self)
        await self.accept()
        if self.rights == "edit" and self.room.editors() > settings.AUTHORING_MAX_EDITORS:
            await self._refuse(TOO_MANY, "too-many-editors")
            return
        await self.send_json({"kind": "hello", "rights": self.rights, "name": self.name})
        await self.send(bytes_data=create_sync_message(self.room.doc))
        snapshot = self.room.awareness_snapshot()
        if snapshot:
            await self.send(bytes_data=snapshot)

    async def disconnect(self, code) -> None:
        self.closing = True
        if self.room is not None:
            room, self.room = self.room, None
            await room.leave(self)

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content))

    async def send_safely(self, *, bytes_data=None, text_data=None) -> None:
        if self.closing:
            return
        try:
            await self.send(bytes_data=bytes_data, text_data=text_data)
        except Exception:  # the socket went away meanwhile
            self.closing = True

    async def _refuse(self, code: int, reason: str) -> None:
        if not self.closing:
            await self.send_safely(text_data=json.dumps({"kind": "error", "error": reason}))
            self.closing = True
            await self.close(code=code)

    async def recheck(self) -> None:
        """Rights may have changed: close the socket, or make it read-only."""
        if self.closing or self.room is None:
            return
        rights = await _db(live.recheck_rights)(self.scope["tenant"], self.user_id, self.item_id)
        if rights is None:
            await self._refuse(REFUSED, "access-revoked")
        elif rights != self.rights:
            self.rights = rights
            await self.send_json({"kind": "hello", "rights": rights, "name": self.name})

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.room is None or self.closing:
            return
        if bytes_data:
            try:
                await self._binary(bytes_data)
            except Exception:
                log.info("authoring: bad message from a client", exc_info=True)
                await self._refuse(BAD_MESSAGE, "bad-message")
        elif text_data:
            await self._text(text_data)

    async def _binary(self, data: bytes) -> None:
        room = self.room
        if data[0] == SYNC and len(data) > 1:
            if data[1] == STEP1:
                reply = handle_sync_message(data[1:], room.doc)
                if reply:
                    await self.send(bytes_data=reply)
                return
            if data[1] not in (STEP2, UPDATE):
                raise ValueError("unknown sync message")
            update = Decoder(data[2:]).read_message() or b""
            if self.rights != "edit":
                if update in (b"", b"\x00\x00"):  # a viewer's empty sync reply: nothing to store
                    self.acked += 1
                    await self.send(bytes_data=bytes([ACK]) + write_var_uint(self.acked))
                else:
                    await self.send_json({"kind": "error", "error": "read-only"})
                return
            if len(update) > settings.AUTHORING_MAX_UPDATE_BYTES or (
                room.size + len(update) > settings.AUTHORING_MAX_DOCUMENT_BYTES
            ):
                await self._refuse(TOO_LARGE, "too-large")
                return
            if update != b"\x00\x00":
                room.doc.apply_update(update)  # garbage raises here, before anything is stored
                room.size += len(update)
                await room.forward(self, update)
            await room.queue.put((self, self.user_id, update))
        elif data[0] == AWARENESS:
            entries = []
            for client, clock, state in _parse_awareness(data[1:]):
                if client not in self.client_ids:
                    if len(self.client_ids) >= 4:
                        continue
                    self.client_ids.append(client)
                entries.append((client, clock, self._presence(state)))
            if entries:
                await room.share_awareness(self, entries)

    def _presence(self, state: str) -> str:
        """The awareness state others see: the cursor as sent, the name from the server."""
        try:
            parsed = json.loads(state)
        except ValueError:
            parsed = None
        if parsed is None:
            return "null"
        clean: dict = {"user": {"name": self.name, "color": self.colour}}
        cursor = parsed.get("cursor") if isinstance(parsed, dict) else None
        if isinstance(cursor, dict) and len(json.dumps(cursor)) < 2000:
            clean["cursor"] = cursor
        return json.dumps(clean)

    async def _text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if message.get("kind") == "ping":
            await self.send_json({"kind": "pong"})
        elif message.get("kind") == "revision":
            if self.rights != "edit":
                await self.send_json({"kind": "error", "error": "read-only"})
                return
            await self.room.drain()
            name = str(message.get("name") or "")[:200].strip() or "Saved version"
            try:
                taken = await _db(live.take_revision)(
                    self.scope["tenant"], self.item_id, user_id=self.user_id, name=name
                )
            except Exception:
                log.info("authoring: named revision refused", exc_info=True)
                taken = None
            if taken is None:
                await self.send_json({"kind": "error", "error": "revision-refused"})
            else:
                await self.send_json({"kind": "revision", **taken})
