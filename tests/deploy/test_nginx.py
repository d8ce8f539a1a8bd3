"""nginx in front of gunicorn: the rendered site is valid, routes every host to its
institution, refuses oversized and slow requests itself, and keeps serving while a
Slowloris client holds hundreds of connections open."""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tenant_apps.people.signin import MAX_FAILURES_PER_ADDRESS
from tests.deploy.conftest import (
    NGINX,
    next_port,
    render_site,
    render_to,
    stop,
    wait_listening,
)


def request(
    port: int,
    path: str,
    *,
    host: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_nginx_accepts_the_rendered_configuration(tmp_path):
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (stack.py system-deps installs it as root)")
    conf = render_site(tmp_path / "run", PLATFORM_DOMAIN="oae.example.org")
    result = subprocess.run(
        [NGINX, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    site = (tmp_path / "run" / "oae.conf").read_text()
    assert "server_name oae.example.org *.oae.example.org _;" in site
    assert "{{" not in site


def test_the_host_header_reaches_django_and_routes_to_the_institution(nginx, world):
    proxy = nginx()
    status, headers, body = request(proxy.port, "/api/v1/institution", host=world.host_a)
    assert status == 200, body
    assert json.loads(body)["name"] == "Alpha University"
    status, _, body = request(proxy.port, "/api/v1/institution", host=world.host_b)
    assert status == 200 and json.loads(body)["name"] == "Beta College"
    # A host no institution has is Django's 404 page, not nginx's.
    status, headers, body = request(proxy.port, "/", host="nobody.localhost")
    assert status == 404
    assert b"nginx" not in body
    # The request id nginx made up travels to the app and back.
    assert len(headers["X-Request-ID"]) >= 16


def test_gunicorns_access_log_is_json_whatever_the_client_sends(gunicorn, nginx, world):
    proxy = nginx()
    agent = 'odd "agent" \\ with\ttab'
    status, _, _ = request(
        proxy.port, "/__lbheartbeat__?x=1", host=world.host_a, headers={"User-Agent": agent}
    )
    assert status == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [
            json.loads(line)
            for line in gunicorn.log.read_text().splitlines()
            if '"logger":"gunicorn.access"' in line
        ]
        mine = [line for line in lines if line["user_agent"] == agent]
        if mine:
            break
        time.sleep(0.1)
    assert mine, lines[-3:]
    assert mine[-1]["path"] == "/__lbheartbeat__" and mine[-1]["query"] == "x=1"
    assert mine[-1]["host"] == world.host_a and mine[-1]["status"] == "200"


def test_a_body_over_the_limit_is_refused_by_nginx(nginx, world):
    proxy = nginx(NGINX_CLIENT_MAX_BODY_SIZE="1m")
    big = b"x" * (1024 * 1024 + 1)
    status, headers, body = request(
        proxy.port,
        "/api/v1/auth/token",
        host=world.host_a,
        method="POST",
        body=big,
        headers={"Content-Type": "application/json"},
    )
    assert status == 413
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == 413
    status, headers, _ = request(
        proxy.port,
        "/signin",
        host=world.host_a,
        method="POST",
        body=big,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 413 and headers["Content-Type"].startswith("text/plain")
    # Just under the limit reaches Django (which refuses the malformed JSON itself).
    status, headers, _ = request(
        proxy.port,
        "/api/v1/auth/token",
        host=world.host_a,
        method="POST",
        body=b"x" * 1000,
        headers={"Content-Type": "application/json"},
    )
    assert status == 400 and headers["Content-Type"] == "application/problem+json"


def test_oversized_headers_get_nginx_4xx_answers(nginx, world):
    proxy = nginx(NGINX_MAX_HEADER_SIZE="4k")
    status, _, body = request(proxy.port, "/", host=world.host_a, headers={"X-Big": "a" * 5000})
    assert status == 400 and b"Request Header Or Cookie Too Large" in body
    status, _, _ = request(proxy.port, "/?" + "a" * 5000, host=world.host_a)
    assert status == 414
    status, _, _ = request(proxy.port, "/", host=world.host_a, headers={"X-Ok": "a" * 3000})
    assert status == 200


def test_a_client_too_slow_to_send_its_headers_is_cut_off(nginx, world):
    proxy = nginx(NGINX_CLIENT_TIMEOUT="2s")
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {world.host_a}\r\n".encode())
        # Keep trickling: the timeout bounds the whole header, not the gap between bytes.
        received = b""
        while time.monotonic() - started < 8:
            try:
                sock.sendall(b"X-Slow: 1\r\n")
                sock.settimeout(0.5)
                received = sock.recv(1024)
                if received == b"":
                    break
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        elapsed = time.monotonic() - started
    assert 1.5 < elapsed < 5, elapsed


def test_django_sees_the_clients_address_not_nginxs(nginx, world):
    """Per-address sign-in limits count the client (from the load balancer's
    X-Forwarded-For, through nginx's real-ip and deploy/proxy_wsgi.py), not nginx."""
    proxy = nginx()
    client, neighbour = (
        f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{n}" for n in (1, 2)
    )

    def attempt(address: str, number: int) -> int:
        status, _, _ = request(
            proxy.port,
            "/api/v1/auth/token",
            host=world.host_a,
            method="POST",
            body=json.dumps(
                {"username": f"nobody-{uuid.uuid4().hex[:8]}-{number}", "password": "wrong"}
            ).encode(),
            headers={"Content-Type": "application/json", "X-Forwarded-For": address},
        )
        return status

    statuses = [attempt(client, number) for number in range(MAX_FAILURES_PER_ADDRESS)]
    assert set(statuses) == {401}
    assert attempt(client, 99) == 429  # this address has used its allowance
    assert attempt(neighbour, 99) == 401  # another client behind the same nginx has not


def test_nginx_runs_unprivileged_as_in_the_container(gunicorn, world):
    """The image runs nginx as a plain user (no `user` directive): everything it writes -
    pid, buffered request bodies - lives in NGINX_RUN_DIR."""
    prefix = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
    if prefix and shutil.which("runuser") is None:
        pytest.skip("runuser is not installed: cannot drop to an unprivileged user")
    run_dir = Path(tempfile.mkdtemp(prefix="oae-nginx-", dir="/tmp"))
    port = next_port()
    try:
        conf = render_to(
            run_dir,
            {
                "PLATFORM_DOMAIN": "localhost",
                "NGINX_LISTEN": f"127.0.0.1:{port}",
                "NGINX_UPSTREAM": f"127.0.0.1:{gunicorn.port}",
                "NGINX_ACCESS_LOG": str(run_dir / "access.log"),
                "NGINX_WORKER_PROCESSES": "1",
            },
        )
        if prefix:
            for path in [run_dir, *run_dir.rglob("*")]:
                shutil.chown(path, "nobody")
        log = run_dir / "error.log"
        with log.open("w") as err:
            process = subprocess.Popen(
                [*prefix, NGINX, "-c", str(conf), "-g", "daemon off;"],
                stdout=err,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_listening(port, process, log, timeout=15)
            status, _, body = request(port, "/__lbheartbeat__", host=world.host_a)
            assert status == 200 and body == b"OK"
            # Larger than client_body_buffer_size: nginx buffers it in a file of its own.
            status, headers, _ = request(
                port,
                "/api/v1/auth/token",
                host=world.host_a,
                method="POST",
                body=b"x" * 300_000,
                headers={"Content-Type": "application/json"},
            )
            assert status == 400 and headers["Content-Type"] == "application/problem+json"
        finally:
            stop(process)
        assert "[emerg]" not in log.read_text() and "[crit]" not in log.read_text()
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def test_the_live_channel_passes_through_nginx(nginx, world, deploy_tmp, django_db_blocker):
    """/ws/ reaches uvicorn (the container's `live` role) with the upgrade and the Host."""
    from django.conf import settings
    from django.test import Client
    from websockets.sync.client import connect

    from tests.conftest import sign_in
    from tests.deploy.conftest import test_database_url

    port = next_port()
    log = deploy_tmp / f"uvicorn-{port}.log"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": test_database_url(),
        "LOG_LEVEL": "WARNING",
        "LIVE_HOST": "127.0.0.1",
        "LIVE_PORT": str(port),
        "APP_DIR": str(Path(__file__).resolve().parents[2]),
    }
    with log.open("w") as out:
        live = subprocess.Popen(
            ["sh", "deploy/entrypoint.sh", "live"],
            cwd=env["APP_DIR"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_listening(port, live, log)
        site = nginx(NGINX_LIVE_UPSTREAM=f"127.0.0.1:{port}")
        with django_db_blocker.unblock():
            client = sign_in(Client(), world.bob, world.tenant_a)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        host = f"{world.host_a}:{site.port}"
        sock = socket.create_connection(("127.0.0.1", site.port), timeout=5)
        with connect(
            f"ws://{host}/ws/live",
            sock=sock,
            additional_headers={
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}",
                "Origin": f"http://{host}",
            },
            open_timeout=10,
        ) as ws:
            assert json.loads(ws.recv(timeout=10)) == {"kind": "hello"}
    finally:
        stop(live)
