"""A Slowloris client - hundreds of connections, each sending its headers a few bytes at
a time and never finishing - must not stop normal requests from being served.

First the control: the same attack straight at gunicorn starves it (so the test can
fail, and shows why nginx is there); then through nginx, normal requests keep being
answered within a bound while every slow connection is still held open.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from tests.deploy.conftest import start_gunicorn, stop

SLOW_CONNECTIONS = 200
NORMAL_REQUESTS = 30
BOUND_SECONDS = 2.0  # each normal request, through nginx, while under attack


class Slowloris:
    """``count`` connections that send a partial request, then one header line a second."""

    def __init__(self, port: int, host: str, count: int):
        self.port, self.host, self.count = port, host, count
        self.sockets: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)

    def start(self) -> None:
        for _ in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(f"GET /people/ HTTP/1.1\r\nHost: {self.host}\r\n".encode())
            self.sockets.append(sock)
        self.thread.start()

    def _trickle(self) -> None:
        while not self.stopping.wait(1.0):
            for sock in self.sockets:
                with suppress(OSError):
                    sock.sendall(b"X-Slowloris: 1\r\n")

    def still_open(self) -> int:
        """How many connections the server has neither answered nor closed."""
        open_count = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                data = sock.recv(1, socket.MSG_PEEK)
            except BlockingIOError:
                open_count += 1  # nothing to read: still waiting for our headers
            except OSError:
                pass
            else:
                if data == b"":
                    continue  # closed by the server
            finally:
                sock.settimeout(5)
        return open_count

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


@contextmanager
def slowloris(port: int, host: str) -> Iterator[Slowloris]:
    attack = Slowloris(port, host, SLOW_CONNECTIONS)
    try:
        attack.start()
        time.sleep(1.5)  # every connection has been read from at least once
        yield attack
    finally:
        attack.stop()


def timed_get(port: int, host: str, path: str, timeout: float) -> tuple[int | None, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    except OSError:
        return None, time.monotonic() - started
    finally:
        conn.close()


def test_slowloris_starves_a_bare_gunicorn(gunicorn, deploy_tmp, world):
    # Its own gunicorn (the product's settings, 1 worker x 2 threads): the attack
    # leaves threads stuck, which the session's server must not inherit.
    bare = start_gunicorn(deploy_tmp, workers=1, threads=2)
    try:
        # Its worker loads the application on its first request: on a loaded machine that
        # alone can take longer than the timeouts below, so wait until it has answered once.
        deadline = time.monotonic() + 60
        while timed_get(bare.port, world.host_a, "/api/v1/institution", 5)[0] != 200:
            assert time.monotonic() < deadline, "the bare gunicorn never answered"
        with slowloris(bare.port, world.host_a):
            status, _ = timed_get(bare.port, world.host_a, "/api/v1/institution", 3)
        assert status is None, "gunicorn answered while under attack: the control is void"
    finally:
        stop(bare.process)


def test_behind_nginx_normal_requests_are_served_during_slowloris(nginx, gunicorn, world):
    deadline = time.monotonic() + 60  # the whole test, however the machine is loaded
    proxy = nginx()  # production defaults: the whole header within 10s
    with slowloris(proxy.port, world.host_a) as attack:
        assert attack.still_open() == SLOW_CONNECTIONS
        timings = []
        for number in range(NORMAL_REQUESTS):
            path = "/api/v1/institution" if number % 2 else "/__lbheartbeat__"
            status, seconds = timed_get(proxy.port, world.host_a, path, BOUND_SECONDS * 2)
            assert status == 200, f"request {number} got {status} after {seconds:.1f}s"
            timings.append(seconds)
            assert time.monotonic() < deadline
        # The attack was real all along: nginx held every slow connection open.
        assert attack.still_open() == SLOW_CONNECTIONS
    assert max(timings) < BOUND_SECONDS, timings
    # And gunicorn never saw them: it still answers directly, at once.
    status, seconds = timed_get(gunicorn.port, world.host_a, "/api/v1/institution", 5)
    assert status == 200 and seconds < BOUND_SECONDS
