"""`make run` supervises its children (deploy/dev/stack.py): one that dies is started again
with a message, the others (and the services) untouched; a crash loop is given up."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from tests.faults.conftest import stack

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


@pytest.fixture
def supervisor(tmp_path):
    made = []

    def make(programs, essential="web"):
        supervisor = stack.Supervisor(
            programs, env=dict(os.environ), run_dir=tmp_path, essential=essential
        )
        made.append(supervisor)
        return supervisor

    yield make
    for supervisor in made:
        supervisor.stop_all()


def _until_checked(supervisor, predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = supervisor.check()
        if predicate(code):
            return code
        time.sleep(0.1)
    pytest.fail("the supervisor did not get there")


def test_a_killed_worker_is_restarted_and_the_web_server_keeps_running(
    supervisor, tmp_path, capsys
):
    run = supervisor({"web": SLEEPER, "worker": SLEEPER, "beat": SLEEPER})
    web, worker, beat = (run.start(name) for name in ("web", "worker", "beat"))
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    _until_checked(run, lambda _code: run.children["worker"].pid != worker.pid)
    assert run.check() is None  # the run goes on
    assert run.children["web"] is web and web.poll() is None
    assert run.children["beat"] is beat and beat.poll() is None
    restarted = run.children["worker"]
    assert restarted.poll() is None
    assert (tmp_path / "worker.pid").read_text() == str(restarted.pid)
    assert "worker exited (code -9); restarting it" in capsys.readouterr().out


def test_a_crash_loop_is_given_up_and_only_the_web_server_ends_the_run(supervisor, capsys):
    run = supervisor({"web": SLEEPER, "worker": CRASHER})
    web = run.start("web")
    run.start("worker")
    code = _until_checked(run, lambda _code: "worker" not in run.children, timeout=30)
    assert code is None and web.poll() is None  # the web server still serves
    assert len(run.starts["worker"]) == stack.RESTART_LIMIT
    assert "not restarting it" in capsys.readouterr().out

    dying = supervisor({"web": CRASHER})
    dying.start("web")
    assert _until_checked(dying, lambda code: code is not None, timeout=30) == 1
