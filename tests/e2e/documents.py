"""Helpers for the co-editing tests: a uvicorn of our own (restartable), and a Python
editor speaking the document channel's protocol with pycrdt (what a browser's Yjs does)."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from pycrdt import (
    Decoder,
    Doc,
    XmlElement,
    XmlFragment,
    XmlText,
    create_sync_message,
    handle_sync_message,
    write_var_uint,
)
from websockets.sync.client import connect

from tenant_apps.authoring import ydoc
from tests.conftest import sign_in
from tests.e2e.conftest import ARTIFACTS, _free_port, _server_env, _wait_for_port

ROOT = Path(__file__).resolve().parents[2]


class LiveServer:
    """uvicorn serving config.asgi with short revision pauses; ``restart()`` kills it hard."""

    def __init__(self, port: int | None = None, extra_env: dict | None = None) -> None:
        self.port = port or _free_port()
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = ARTIFACTS / f"uvicorn-documents-{self.port}.log"
        ARTIFACTS.mkdir(exist_ok=True)
        env = {
            **_server_env(),
            "AUTHORING_REVISION_PAUSE_SECONDS": "1",
            "AUTHORING_RECHECK_SECONDS": "2",
            **self.extra_env,
        }
        with log.open("a") as out:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "uvicorn"),
                    "config.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--ws",
                    "websockets",
                    "--lifespan",
                    "off",
                    "--no-access-log",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_for_port(self.port, self.process, log, "uvicorn")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def restart(self) -> None:
        self.kill()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the port is free again
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) != 0:
                    break
            time.sleep(0.1)
        self.start()


def session_cookie(django_db_blocker, user, tenant) -> str:
    with django_db_blocker.unblock():
        client = sign_in(Client(), user, tenant)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def open_socket(port: int, host: str, path: str, cookie: str | None):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    headers = {"Origin": f"http://{host}"}
    if cookie:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    return connect(
        f"ws://{host}:{port}{path}",
        sock=sock,
        additional_headers=headers,
        open_timeout=5,
        max_size=None,
    )


class Editor:
    """One editor of one document over the live channel, with its own pycrdt document."""

    def __init__(self, port: int, host: str, cookie: str | None, public_id: str, client_id=None):
        self.ws = open_socket(port, host, f"/ws/documents/{public_id}", cookie)
        self.doc = Doc(client_id=client_id) if client_id else Doc()
        self.fragment = self.doc.get(ydoc.FRAGMENT, type=XmlFragment)
        self.sent = 0
        self.acked = 0
        self.synced = False
        self.errors: list[str] = []
        self.awareness: list[tuple[int, int, dict | None]] = []
        self.close_code: int | None = None
        self.hello = json.loads(self.ws.recv(timeout=5))

    # --- the protocol ------------------------------------------------------------
    def _handle(self, message) -> None:
        if isinstance(message, str):
            data = json.loads(message)
            if data.get("kind") == "error":
                self.errors.append(data["error"])
            elif data.get("kind") == "revision":
                self.errors.append("revision:" + data["id"])
            return
        if message[0] == 0:
            reply = handle_sync_message(message[1:], self.doc)
            if message[1] == 0:
                # The server asks for what we have (offline edits): our step 2 is an update.
                self.ws.send(reply)
                self.sent += 1
                self.ws.send(create_sync_message(self.doc))  # and we ask for what it has
            elif message[1] == 1:
                self.synced = True
        elif message[0] == 1:
            decoder = Decoder(Decoder(message[1:]).read_message())
            for _ in range(decoder.read_var_uint()):
                client, clock = decoder.read_var_uint(), decoder.read_var_uint()
                self.awareness.append((client, clock, json.loads(decoder.read_var_string())))
        elif message[0] == 3:
            self.acked = Decoder(message[1:]).read_var_uint()

    def pump(self, until=None, timeout: float = 5.0) -> bool:
        """Handle messages until ``until()`` holds (or, without it, until quiet)."""
        deadline = time.monotonic() + timeout
        while True:
            if until is not None and until():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                message = self.ws.recv(timeout=min(left, 0.2) if until is None else left)
            except TimeoutError:
                if until is None:
                    return True
                continue
            except Exception as closed:  # the server closed the socket
                self.close_code = getattr(getattr(closed, "rcvd", None), "code", None)
                return until() if until is not None else True
            self._handle(message)

    def sync(self) -> None:
        assert self.pump(lambda: self.synced), "no sync step 2 from the server"

    def type(self, text: str) -> bytes:
        before = self.doc.get_state()
        paragraph = self.fragment.children.append(XmlElement("paragraph"))
        paragraph.children.append(XmlText()).insert(0, text)
        update = self.doc.get_update(before)
        self.send_update(update)
        return update

    def send_update(self, update: bytes) -> None:
        self.ws.send(bytes([0, 2]) + write_var_uint(len(update)) + update)
        self.sent += 1

    def saved(self, timeout: float = 5.0) -> bool:
        return self.pump(lambda: self.acked >= self.sent, timeout)

    def send_awareness(self, state: dict | None) -> None:
        raw = json.dumps(state).encode()
        body = write_var_uint(1) + write_var_uint(self.doc.client_id) + write_var_uint(1)
        body += write_var_uint(len(raw)) + raw
        self.ws.send(bytes([1]) + write_var_uint(len(body)) + body)

    def html(self) -> str:
        return ydoc.fragment_html(self.doc)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already closed by the server
            self.ws.close()


def refused(port: int, host: str, public_id: str, cookie: str | None) -> bool:
    from websockets.exceptions import InvalidStatus

    try:
        with open_socket(port, host, f"/ws/documents/{public_id}", cookie) as ws:
            ws.recv(timeout=2)
    except InvalidStatus as refusal:
        return refusal.response.status_code == 403
    return False


@pytest.fixture(scope="module")
def document_server(live_server_url):
    server = LiveServer()
    server.start()
    yield server
    server.stop()
