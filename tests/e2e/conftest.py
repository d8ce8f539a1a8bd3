"""A real gunicorn serving the test database, and Debian's chromium driven by Playwright.

Both use committed data only (the standing world), so these tests take no `db`
transaction. Screenshots go to test-artifacts/ in the checkout.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.servers import gunicorn_argv

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The live channel's port (uvicorn, started by ``live_channel`` when a test needs it) and
# the Celery queue of the pages' background work (a worker runs it when a test needs it):
# both fixed for the session, as gunicorn's pages name them.
LIVE_PORT = _free_port()
E2E_QUEUE = f"oae-e2e-{os.getpid()}"
# gunicorn's port (links in e-mails name it) and the SMTP server its mail goes to
# (``mailbox``, a real server on loopback for the whole session): fixed for the session too.
WEB_PORT = _free_port()
SMTP_PORT = _free_port()


def _server_env() -> dict[str, str]:
    settings_dict = connection.settings_dict
    return {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT']}/{settings_dict['NAME']}"
        ),
        "LOG_LEVEL": "WARNING",
        "LIVE_URL_PORT": str(LIVE_PORT),
        # Mail over SMTP to ``mailbox``, with links to this server.
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(SMTP_PORT),
        "EMAIL_USE_TLS": "false",
        "PLATFORM_URL_PORT": f":{WEB_PORT}",
        "CELERY_QUEUE": E2E_QUEUE,
        # Pages without a live connection poll this often (the fallback test waits on it).
        "LIVE_POLL_SECONDS": "2",
    }


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            pytest.fail(f"{what} exited: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    pytest.fail(f"{what} did not listen on {port}: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def live_channel(live_server_url) -> int:
    """uvicorn serving the live channel (config.asgi) on LIVE_PORT; yields the port."""
    log = ARTIFACTS / "uvicorn.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "uvicorn"),
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(LIVE_PORT),
                "--ws",
                "websockets-sansio",
                "--lifespan",
                "off",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=_server_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    _wait_for_port(LIVE_PORT, server, log, "uvicorn")
    yield LIVE_PORT
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="session")
def celery_worker(live_server_url):
    """A Celery worker running the background work of gunicorn's pages (fan-out, e-mail)."""
    log = ARTIFACTS / "celery.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "-Q",
                E2E_QUEUE,
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=_server_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while "ready" not in log.read_text() and time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"celery exited: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    yield worker
    worker.terminate()
    worker.wait(timeout=30)


@pytest.fixture(scope="session")
def mailbox():
    """The SMTP server (aiosmtpd on SMTP_PORT) every mail of gunicorn and the worker goes
    to, for the whole session; yields its mailbox (``messages``, ``recipients``)."""
    from aiosmtpd.controller import Controller

    from tests.shared_apps.signup.conftest import Mailbox

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield box
    controller.stop()


def mail_to(box, address: str, timeout: float = 30.0):
    """The newest message to ``address`` (waiting for it to arrive)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message, recipients in zip(
            reversed(box.messages), reversed(box.recipients), strict=True
        ):
            if address in recipients:
                return message
        time.sleep(0.2)
    pytest.fail(f"no mail to {address} within {timeout} s")


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker, mailbox):
    """Base URL template ``http://{host}:PORT`` of gunicorn serving the test database."""
    port = WEB_PORT
    env = {**_server_env(), "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "4"}
    log = ARTIFACTS / "gunicorn.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("w") as out:
        server = subprocess.Popen(
            gunicorn_argv(port),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    yield "http://{host}:" + str(port)
    server.terminate()
    server.wait(timeout=30)
    # The server's backends may outlive it by a moment; the test database can only
    # be dropped once they are gone.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, and the fixtures
    # around each test (routing reset, the world) touch Django's connection in the
    # same thread. Nothing shares a connection across threads, so Django's async
    # guard steps aside while the browser is open - and only then.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _launch(sync_playwright)
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _launch(sync_playwright):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--host-resolver-rules=MAP *.localhost 127.0.0.1",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # bypass_csp: Playwright evaluates wait_for_function strings, which the pages' CSP
    # (no eval) refuses; the policy itself is asserted in tests/platform/config/test_headers.py.
    context = browser.new_context(viewport={"width": 1100, "height": 800}, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
