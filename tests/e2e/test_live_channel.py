"""The live channel over a real uvicorn: routed by Host, authenticated by the institution's
session, refused otherwise; a push reaches the person's open connections."""

from __future__ import annotations

import json
import socket

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from config.live import person_channel_group, publish
from tests.conftest import sign_in


def _session_cookie(world, django_db_blocker, user, tenant) -> str:
    with django_db_blocker.unblock():
        client = sign_in(Client(), user, tenant)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _open(port: int, host: str, *, cookie: str | None, origin: str | None = "same"):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    headers = {}
    if cookie:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    if origin == "same":
        headers["Origin"] = f"http://{host}"
    elif origin:
        headers["Origin"] = origin
    return connect(
        f"ws://{host}:{port}/ws/live", sock=sock, additional_headers=headers, open_timeout=5
    )


def _refused(port: int, host: str, **kwargs) -> bool:
    try:
        with _open(port, host, **kwargs) as ws:
            ws.recv(timeout=2)
    except InvalidStatus as refused:
        return refused.response.status_code == 403
    return False


def test_a_signed_in_person_receives_pushes_to_their_group(world, live_channel, django_db_blocker):
    cookie = _session_cookie(world, django_db_blocker, world.bob, world.tenant_a)
    with _open(live_channel, world.host_a, cookie=cookie) as ws:
        assert json.loads(ws.recv(timeout=5)) == {"kind": "hello"}
        ws.send(json.dumps({"kind": "ping"}))
        assert json.loads(ws.recv(timeout=5)) == {"kind": "pong"}
        with schema_context(world.tenant_a.schema_name):
            group = person_channel_group(world.tenant_a.schema_name, world.bob.pk)
        publish([group], {"type": "live.event", "kind": "notifications"})
        assert json.loads(ws.recv(timeout=5)) == {"kind": "notifications"}
        # Alice's pushes are not Bob's.
        publish(
            [person_channel_group(world.tenant_a.schema_name, world.alice.pk)],
            {"type": "live.event", "kind": "feed"},
        )
        with pytest.raises(TimeoutError):
            ws.recv(timeout=1)


def test_another_institutions_session_is_refused(world, live_channel, django_db_blocker):
    charlie = _session_cookie(world, django_db_blocker, world.charlie, world.tenant_b)
    assert _refused(live_channel, world.host_a, cookie=charlie)
    with _open(live_channel, world.host_b, cookie=charlie) as ws:  # on his own host: fine
        assert json.loads(ws.recv(timeout=5)) == {"kind": "hello"}


@pytest.mark.parametrize(
    "case", ["no session", "forged session", "other origin", "platform host", "unknown host"]
)
def test_the_channel_is_refused_without_a_valid_session_for_the_host(
    world, live_channel, django_db_blocker, case
):
    bob = _session_cookie(world, django_db_blocker, world.bob, world.tenant_a)
    host = world.host_a
    kwargs = {"cookie": bob}
    if case == "no session":
        kwargs["cookie"] = None
    elif case == "forged session":
        kwargs["cookie"] = "x" * 32
    elif case == "other origin":
        kwargs["origin"] = "http://evil.example"
    elif case == "platform host":
        host = settings.PLATFORM_DOMAIN
    else:
        host = f"nowhere.{settings.PLATFORM_DOMAIN}"
    assert _refused(live_channel, host, **kwargs)


def test_the_asgi_process_answers_its_heartbeat_and_nothing_else(live_channel):
    import urllib.error
    import urllib.request

    base = f"http://127.0.0.1:{live_channel}"
    with urllib.request.urlopen(f"{base}/__lbheartbeat__", timeout=5) as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{base}/api/v1/activity/", timeout=5)
    assert missing.value.code == 404
