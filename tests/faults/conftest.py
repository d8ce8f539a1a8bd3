"""Faults on the real services of the running test stack, and a real Celery worker process.

``outage.down("redis")`` stops one of the stack's services (PostgreSQL, Redis,
SeaweedFS) with the very functions `make test` started it with (deploy/dev/stack.py)
and always starts it again on the way out, even when the test fails, so later tests
find the stack as it was. ``outage.paused("s3")`` freezes a service instead (SIGSTOP):
its clients hang mid-call, the way a task is caught mid-read.

``worker`` runs ``celery worker`` (prefork, one pool process) as its own process on a
private queue, against the test database, so a test can kill it mid-task.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from config.celery import app
from shared_apps.audit.services import Actor
from tenants.models import Tenant
from tenants.services import tenant_create, tenant_delete, tenant_purge

ROOT = Path(__file__).resolve().parents[2]


def _load_stack():
    spec = importlib.util.spec_from_file_location("oae_dev_stack", ROOT / "deploy/dev/stack.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


stack = _load_stack()


class Outage:
    """Stop or pause one service of this run's test stack (the profile of OAE_STACK_SLOT)."""

    def __init__(self) -> None:
        self.profile = stack._profiles()["test"]
        if Path(os.environ.get("OAE_STACK_VAR", "")) != self.profile.var:
            pytest.skip("the fault tests need the services `make test` started")

    @contextlib.contextmanager
    def down(self, name: str) -> Iterator[None]:
        start, stop = stack.SERVICES[name]
        stop(self.profile)
        try:
            yield
        finally:
            start(self.profile)
            if name == "postgresql":
                connection.close()  # this process's connection died with the server

    @contextlib.contextmanager
    def paused(self, name: str) -> Iterator[None]:
        pid = stack.service_pid(self.profile, name)
        assert pid is not None, f"{name} is not running"
        group = name == "s3"  # SeaweedFS runs in its own process group
        kill = os.killpg if group else os.kill
        kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            kill(pid, signal.SIGCONT)


@pytest.fixture
def outage() -> Outage:
    return Outage()


def wait_until(predicate: Callable[[], object], what: str, timeout: float = 30) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"waited {timeout:.0f}s for {what}")


@dataclass
class Faults:
    """A committed institution of its own (purged afterwards) and one of its people."""

    tenant: Tenant
    user: object

    @property
    def host(self) -> str:
        return f"{self.tenant.slug}.{settings.PLATFORM_DOMAIN}"


@pytest.fixture(scope="module")
def faults(django_db_setup, django_db_blocker) -> Iterator[Faults]:
    from tenant_apps.people.services import user_create

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        slug = f"faults-{uuid.uuid4().hex[:6]}"
        tenant = tenant_create(slug=slug, name="Faults Institute")
        with schema_context(tenant.schema_name):
            user = user_create(
                username="fran",
                email="fran@example.edu",
                password="correct horse battery staple",
                display_name="Fran Fault",
            )
        try:
            yield Faults(tenant, user)
        finally:
            connection.close()
            connection.set_schema_to_public()
            tenant = Tenant.objects.get(pk=tenant.pk)
            tenant_delete(tenant=tenant, actor=Actor.system("test"))
            tenant_purge(tenant=tenant, actor=Actor.system("test"), force=True)


@pytest.fixture
def committed(django_db_blocker) -> Iterator[None]:
    """Run the test on an autocommit connection: what it writes, other processes see."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


def upload(faults: Faults, data: bytes, name: str):
    """A committed file item of the faults institution's person (through the service)."""
    from tenant_apps.content.services import content_upload_file

    with schema_context(faults.tenant.schema_name):
        item = content_upload_file(actor=faults.user, source=io.BytesIO(data), filename=name)
        return item, item.current_version


def version_state(faults: Faults, version_id: int):
    from tenant_apps.content.models import ContentVersion

    with schema_context(faults.tenant.schema_name):
        return ContentVersion.objects.get(pk=version_id)


class Worker:
    """``celery worker`` in its own process (prefork, one pool process), on a private queue."""

    def __init__(self, temp_dir: Path, log: Path, env: dict[str, str]):
        self.queue = f"faults-{uuid.uuid4().hex[:8]}"
        self.name = f"{self.queue}@localhost"
        self.temp_dir = temp_dir
        self.log = log
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "1",
                    "-Q",
                    self.queue,
                    "-n",
                    self.name,
                    "-l",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until(self.answers, "the worker to answer a ping", timeout=60)

    def answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"the worker exited: {self.log.read_text()[-3000:]}")
        try:
            replies = app.control.ping(destination=[self.name], timeout=0.5)
        except Exception:  # this process's own broker connection died with a restart
            return False
        return bool(replies)

    def is_alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pool_pids(self) -> list[int]:
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in path.read_text().split()]
        return []

    def temp_copies(self) -> list[str]:
        return sorted(p.name for p in self.temp_dir.iterdir() if p.name.startswith("oae-"))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def worker(faults, tmp_path_factory) -> Iterator[Worker]:
    """A real worker process (one per module); tasks sent meanwhile go to its private queue."""
    db = connection.settings_dict
    tmp_path = tmp_path_factory.mktemp("worker")
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "FILE_UPLOAD_TEMP_DIR": str(temp_dir),
        "CONTENT_PROCESSING_ATTEMPTS": "2",
        "CONTENT_PROCESSING_RETRY_SECONDS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
    }
    process_worker = Worker(temp_dir, tmp_path / "worker.log", env)
    env["CELERY_QUEUE"] = process_worker.queue
    app.conf.task_default_queue = process_worker.queue
    try:
        process_worker.start()
        yield process_worker
    finally:
        process_worker.stop()
        app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
