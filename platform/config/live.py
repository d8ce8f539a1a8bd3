"""The live channel: WebSockets under ``/ws/`` served by the ASGI process (config.asgi).

Shared by everything that pushes to open pages (the activity badge and feed today,
co-editing later). A connection is routed like an HTTP request: its Host header picks
the institution through the same cached lookup (``tenant_for_hostname``), and the
institution's session cookie authenticates it against the session table of that
institution's schema. A session of another institution is simply not in that table,
so the connection is refused (like an unknown host, a browser page of another origin,
a visitor or a deactivated person), before it is accepted.

Features add routes to ``websocket_urlpatterns`` and subclass ``PersonConsumer`` or
write their own consumer; ``scope["tenant"]`` and ``scope["user"]`` are set. A sync
function that touches the database from a consumer must first enter the scope's tenant
(``with tenant_context(scope["tenant"])``): the worker thread's connection is shared.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from http.cookies import SimpleCookie
from types import SimpleNamespace
from urllib.parse import urlsplit

import redis
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)

# Close codes a page can tell apart (4000-4999 are the application's own).
REFUSED = 4403


def person_channel_group(schema: str, user_id: int) -> str:
    """The channel-layer group of one person's open pages in one institution."""
    return f"live.{schema}.u{user_id}"


@functools.cache
def _redis(url: str, max_connections: int) -> redis.Redis:
    return redis.Redis.from_url(url, max_connections=max_connections)


def publish(groups: list[str], message: dict) -> None:
    """Send ``message`` to every channel-layer group in ``groups`` (from sync code)."""
    layer = get_channel_layer()
    if layer is None or not groups:
        return
    backend = settings.CHANNEL_LAYERS["default"]
    hosts = backend["CONFIG"]["hosts"]
    if backend["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer" and len(hosts) == 1:
        # One pipeline of PUBLISH commands: a push to 10,000 people is one round trip, not
        # 10,000 (each awaited in turn behind the layer's lock). The channel names are the
        # layer's own (``<prefix>__group__<group>``); the live tests check the two agree.
        prefix = backend["CONFIG"].get("prefix", "asgi")
        payload = layer.serialize(message)
        client = _redis(hosts[0]["address"], hosts[0].get("max_connections", 50))
        for start in range(0, len(groups), 1000):
            with client.pipeline(transaction=False) as pipe:
                for group in groups[start : start + 1000]:
                    pipe.publish(f"{prefix}__group__{group}", payload)
                pipe.execute()
        return

    async def send_all() -> None:
        # A few hundred at a time: one round trip to Redis each, overlapped.
        for start in range(0, len(groups), 200):
            await asyncio.gather(
                *(layer.group_send(group, message) for group in groups[start : start + 200])
            )

    async_to_sync(send_all)()


def _hostname(host: str) -> str:
    # The same normalisation as tenants.middleware.hostname_from_request.
    name = host.strip().lower()
    if name.startswith("["):
        name = name.split("]", 1)[0] + "]"
    else:
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    name = name.rstrip(".")
    return name[4:] if name.startswith("www.") else name


def authenticate(headers: dict[bytes, bytes]):
    """The (tenant, user) a WebSocket handshake's headers stand for, or None to refuse.

    Runs in a worker thread (it queries the database).
    """
    from importlib import import_module

    from django.contrib.auth import get_user
    from django.contrib.sessions.backends.base import SessionBase

    from tenants.selectors import tenant_for_hostname

    host = headers.get(b"host", b"").decode("latin-1")
    hostname = _hostname(host)
    if not hostname or hostname == settings.PLATFORM_DOMAIN:
        return None
    origin = headers.get(b"origin")
    if origin is not None:
        # A page of another site must not open a channel with this site's cookie. (The
        # port may differ: make run serves pages and the channel on two ports.)
        origin_host = (urlsplit(origin.decode("latin-1")).hostname or "").rstrip(".")
        if _hostname(origin_host) != hostname:
            return None
    tenant = tenant_for_hostname(hostname)
    if tenant is None or not tenant.is_routable:
        return None
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # a malformed cookie header: no session
        return None
    morsel = cookies.get(settings.SESSION_COOKIE_NAME)
    if morsel is None:
        return None
    connection.set_tenant(tenant)
    engine = import_module(settings.SESSION_ENGINE)
    session: SessionBase = engine.SessionStore(morsel.value)
    user = get_user(SimpleNamespace(session=session))
    if not (user.is_authenticated and user.is_active):
        return None
    return tenant, user


async def _refuse(receive, send) -> None:
    message = await receive()
    if message.get("type") == "websocket.connect":
        await send({"type": "websocket.close", "code": REFUSED})


class TenantSessionMiddleware:
    """Sets ``scope["tenant"]`` and ``scope["user"]`` for a WebSocket, or refuses it."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        found = await database_sync_to_async(authenticate)(headers)
        if found is None:
            return await _refuse(receive, send)
        tenant, user = found
        scope = {**scope, "tenant": tenant, "schema": tenant.schema_name, "user": user}
        return await self.inner(scope, receive, send)


class PersonConsumer(AsyncJsonWebsocketConsumer):
    """One signed-in person's channel: receives what is published to their group.

    A message ``{"type": "live.event", ...}`` reaches the page as its other keys.
    """

    async def connect(self) -> None:
        self.person_group = person_channel_group(self.scope["schema"], self.scope["user"].pk)
        await self.channel_layer.group_add(self.person_group, self.channel_name)
        await self.accept()
        await self.send_json({"kind": "hello"})

    async def disconnect(self, code) -> None:
        group = getattr(self, "person_group", None)
        if group is not None:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        # Pages only listen; a ping keeps proxies from closing an idle connection.
        if isinstance(content, dict) and content.get("kind") == "ping":
            await self.send_json({"kind": "pong"})

    async def live_event(self, event: dict) -> None:
        await self.send_json({key: value for key, value in event.items() if key != "type"})
