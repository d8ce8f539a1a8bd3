"""Real nginx in front of a real gunicorn on loopback, serving the test database.

gunicorn runs once per session (the product's gunicorn.conf.py and its production WSGI
entry, deploy/proxy_wsgi.py); each test that needs nginx starts its own from the
rendered site (deploy/nginx/render.py) with the settings it wants to exercise - nginx
starts in milliseconds. Ports are derived from OAE_STACK_SLOT (and the xdist worker), so
parallel stacks on one machine never collide.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "nginx"))
from render import render_to  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PORT_BASE = 17000  # tests/deploy: 17000-17999, clear of every profile's ports in every slot
PORTS_PER_WORKER = 20


def _slot_block() -> list[int]:
    slot = int(os.environ.get("OAE_STACK_SLOT", "0") or 0)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    base = PORT_BASE + slot * 100 + (int(worker) % 5 if worker.isdigit() else 0) * PORTS_PER_WORKER
    return list(range(base, base + PORTS_PER_WORKER))


_ports = itertools.cycle(_slot_block())


def next_port() -> int:
    """The next free port of this slot's block, round the block (a stopped server's port
    comes round again; one another program holds is skipped)."""
    for _ in range(PORTS_PER_WORKER):
        port = next(_ports)
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port left in this slot's block")


def wait_listening(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            pytest.fail(f"{process.args[0]} exited: {log.read_text()[-3000:]}")
        time.sleep(0.1)
    pytest.fail(f"{process.args[0]} did not listen on {port} within {timeout}s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def test_database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@dataclass(frozen=True)
class Gunicorn:
    port: int
    process: subprocess.Popen
    log: Path


def start_gunicorn(tmp: Path, *, workers: int = 1, threads: int = 2) -> Gunicorn:
    """The product's gunicorn, with no app named: gunicorn.conf.py's production entry."""
    port = next_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": test_database_url(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_ACCESS_LOG": "-",
        "LOG_LEVEL": "WARNING",
    }
    log = tmp / f"gunicorn-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--config",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_listening(port, process, log)
    return Gunicorn(port, process, log)


@pytest.fixture(scope="session")
def deploy_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("deploy")


@pytest.fixture(scope="session")
def gunicorn(django_db_setup, django_db_blocker, deploy_tmp) -> Iterator[Gunicorn]:
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (stack.py system-deps installs it as root)")
    server = start_gunicorn(deploy_tmp)
    yield server
    stop(server.process)
    # Its backends may outlive it by a moment; the test database is dropped after us.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@dataclass(frozen=True)
class Nginx:
    port: int
    process: subprocess.Popen
    conf: Path

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def render_site(out: Path, **overrides: str) -> Path:
    """The product's nginx configuration rendered for loopback into ``out``."""
    environ = {
        "PLATFORM_DOMAIN": "localhost",
        "NGINX_RUN_DIR": str(out),
        "NGINX_ACCESS_LOG": str(out / "access.log"),
        "NGINX_WORKER_PROCESSES": "1",
        "NGINX_MIME_TYPES": "/etc/nginx/mime.types",
        # As root (CI), nginx would hand requests to `nobody`, who cannot enter pytest's
        # private temporary directory where the bodies are buffered.
        **({"NGINX_USER": "root"} if os.geteuid() == 0 else {}),
        **overrides,
    }
    return render_to(out, environ)


@pytest.fixture
def nginx(gunicorn, tmp_path) -> Iterator[Callable[..., Nginx]]:
    """A factory: nginx(NGINX_CLIENT_TIMEOUT="3s", ...) starts one in front of gunicorn."""
    started: list[subprocess.Popen] = []

    def start(**overrides: str) -> Nginx:
        port = next_port()
        out = tmp_path / f"nginx-{port}"
        conf = render_site(
            out,
            NGINX_LISTEN=f"127.0.0.1:{port}",
            NGINX_UPSTREAM=f"127.0.0.1:{gunicorn.port}",
            **overrides,
        )
        log = out / "error.log"
        with log.open("w") as err:
            process = subprocess.Popen(
                [NGINX, "-c", str(conf), "-g", "daemon off;"],
                stdout=err,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(process)
        wait_listening(port, process, log, timeout=15)
        return Nginx(port, process, conf)

    yield start
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            stop(process)
