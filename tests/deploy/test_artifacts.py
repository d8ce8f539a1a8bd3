"""The deployment files, checked statically where no daemon is at hand: the Dockerfile
(multi-stage, locked hashes, collectstatic, non-root, entrypoint), the entrypoint's
roles, the systemd units (systemd-analyze), and the README covering their variables."""

from __future__ import annotations

import http.client
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    stage: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped, with their stage."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    instructions, stage = [], ""
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = args.split()
            stage = parts[parts.index("AS") + 1] if "AS" in parts else parts[0]
        instructions.append(Instruction(keyword, " ".join(args.split()), stage))
    return instructions


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile((DEPLOY / "Dockerfile").read_text())


def _stage(instructions: list[Instruction], name: str) -> list[Instruction]:
    return [i for i in instructions if i.stage == name]


def test_the_image_is_multi_stage_on_python_3_11(dockerfile):
    froms = [i for i in dockerfile if i.keyword == "FROM"]
    assert [f.stage for f in froms] == ["frontend", "build", "runtime"]
    args = {
        i.args.split("=", 1)[0]: i.args.split("=", 1)[1]
        for i in dockerfile
        if i.keyword == "ARG" and "=" in i.args
    }
    assert args["PYTHON_IMAGE"].startswith("python:3.11-")
    runtime = _stage(dockerfile, "runtime")
    # The runtime stage takes the built venv and app, and installs no compiler.
    copies = [i.args for i in runtime if i.keyword == "COPY"]
    assert "--from=build /opt/venv /opt/venv" in copies
    assert not any("build-essential" in i.args for i in runtime)


def test_dependencies_come_from_the_lock_with_hashes(dockerfile):
    build = _stage(dockerfile, "build")
    installs = [i.args for i in build if i.keyword == "RUN" and "pip install" in i.args]
    assert len(installs) == 1
    words = shlex.split(installs[0])
    assert "--require-hashes" in words and "--no-deps" in words
    lock = words[words.index("-r") + 1]
    copies = [i.args.split() for i in build if i.keyword == "COPY"]
    assert ["requirements/base.lock", lock] in copies


def test_the_browser_bundles_are_built_from_the_npm_lock_before_collectstatic(dockerfile):
    frontend = _stage(dockerfile, "frontend")
    copies = [i.args.split() for i in frontend if i.keyword == "COPY"]
    assert ["frontend/package.json", "frontend/package-lock.json", "./"] in copies
    runs = [i.args for i in frontend if i.keyword == "RUN"]
    assert any(run.startswith("npm ci") for run in runs)
    assert runs[-1] == "npm run build"
    build = _stage(dockerfile, "build")
    taken = [n for n, i in enumerate(build) if i.args.startswith("--from=frontend ")]
    collect = [n for n, i in enumerate(build) if "collectstatic" in i.args]
    assert taken and collect and taken[0] < collect[0]
    assert "frontend/node_modules" in (DEPLOY / "Dockerfile.dockerignore").read_text().split()


def test_static_files_are_collected_at_build_time(dockerfile):
    runs = [i.args for i in _stage(dockerfile, "build") if i.keyword == "RUN"]
    collect = [run for run in runs if "collectstatic" in run]
    assert collect and "OAE_ENV=production" in collect[0] and "--noinput" in collect[0]


def test_the_runtime_has_pg_dump_15_and_the_native_libraries(dockerfile):
    runs = " ".join(i.args for i in _stage(dockerfile, "runtime") if i.keyword == "RUN")
    for package in ("postgresql-client-15", "libmagic1", "libldap-2.5-0", "libsasl2-2"):
        assert re.search(rf"\b{re.escape(package)}\b", runs), package
    env = " ".join(i.args for i in _stage(dockerfile, "runtime") if i.keyword == "ENV")
    assert "PG_DUMP_PATH=/usr/lib/postgresql/15/bin/pg_dump" in env
    assert "OAE_ENV=production" in env


def test_it_runs_as_a_non_root_user_through_the_entrypoint(dockerfile):
    runtime = _stage(dockerfile, "runtime")
    users = [i.args for i in runtime if i.keyword == "USER"]
    assert users, "the runtime stage must switch user"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert any("useradd" in i.args and f" {user}" in i.args for i in runtime if i.keyword == "RUN")
    # USER comes after every RUN: nothing later runs as root.
    last_user = max(n for n, i in enumerate(runtime) if i.keyword == "USER")
    assert all(i.keyword != "RUN" for i in runtime[last_user:])
    entrypoint = [i.args for i in runtime if i.keyword == "ENTRYPOINT"]
    assert entrypoint == ['["/app/deploy/entrypoint.sh"]']
    assert [i.args for i in runtime if i.keyword == "CMD"] == ['["web"]']


def test_every_copied_path_exists_and_the_entrypoints_files_are_in_the_image(dockerfile):
    copied: set[str] = set()
    for instruction in _stage(dockerfile, "build"):
        if instruction.keyword != "COPY" or "--from" in instruction.args:
            continue
        *sources, _target = instruction.args.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            copied.add(source)
    script = (DEPLOY / "entrypoint.sh").read_text()
    for needed in re.findall(r"deploy/[\w/.-]+\.py", script):
        folder = str(Path(needed).parent)
        assert needed in copied or folder in copied, f"{needed} is not copied into the image"
    assert "deploy/gunicorn.conf.py" in copied and "deploy/proxy_wsgi.py" in copied
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert ".git" in ignored and ".venv" in ignored and "var" in ignored


def _entrypoint(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        [str(DEPLOY / "entrypoint.sh"), *args],
        env={**os.environ, **env, "PATH": path, "APP_DIR": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_entrypoint_is_valid_sh_and_runs_its_roles(tmp_path):
    assert os.access(DEPLOY / "entrypoint.sh", os.X_OK)
    assert subprocess.run(["sh", "-n", str(DEPLOY / "entrypoint.sh")], check=False).returncode == 0
    checked = _entrypoint("manage", "check", env={"LOG_LEVEL": "WARNING"})
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        tested = _entrypoint(
            "nginx", "-t", env={"NGINX_RUN_DIR": str(tmp_path / "nginx"), "NGINX_ACCESS_LOG": "off"}
        )
        assert tested.returncode == 0, tested.stderr
        assert "test is successful" in tested.stderr
    other = _entrypoint("echo", "any", "command", env={})
    assert other.stdout == "any command\n"


def test_on_ecs_the_entrypoint_builds_the_urls_from_their_parts():
    parts = {
        "DATABASE_HOST": "db.internal",
        "DATABASE_USER": "oae",
        "DATABASE_PASSWORD": "p@ss/w:rd%",  # RDS passwords may hold any of these
        "DATABASE_NAME": "oae",
        "REDIS_HOST": "cache.internal",
        "REDIS_AUTH_TOKEN": "token123",
    }
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [str(DEPLOY / "entrypoint.sh"), "sh", "-c", 'echo "$DATABASE_URL"; echo "$REDIS_URL"'],
        env={
            **env,
            **parts,
            "APP_DIR": str(ROOT),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    database_url, redis_url = result.stdout.splitlines()
    assert database_url == (
        "postgres://oae:p%40ss%2Fw%3Ard%25@db.internal:5432/oae?sslmode=require"
    )
    assert redis_url == "rediss://:token123@cache.internal:6379/0?ssl_cert_reqs=required"
    # And the settings read it back as given.
    sys.path.insert(0, str(ROOT / "platform"))
    from config.env import database_from_url

    parsed = database_from_url(database_url)
    assert parsed["PASSWORD"] == "p@ss/w:rd%" and parsed["OPTIONS"] == {"sslmode": "require"}


def test_the_systemd_units_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the units are not verified")
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.name for u in units} == {
        "oae-web.service",
        "oae-worker.service",
        "oae-beat.service",
        "oae-live.service",
    }
    for unit in units:
        # As installed, with the checkout in place of /srv/oae (so the programs exist).
        (tmp_path / unit.name).write_text(unit.read_text().replace("/srv/oae", str(ROOT)))
    result = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    web = (DEPLOY / "systemd" / "oae-web.service").read_text()
    assert "migrate_once.py" in web and "User=oae" in web


def test_the_readme_documents_every_deployment_variable():
    readme = (ROOT / "README.md").read_text()
    sources = [
        DEPLOY / "nginx" / "render.py",
        DEPLOY / "entrypoint.sh",
        DEPLOY / "migrate_once.py",
        DEPLOY / "gunicorn.conf.py",
    ]
    names: set[str] = set()
    for source in sources:
        text = source.read_text()
        names |= set(re.findall(r'\(\s*"(NGINX_[A-Z_]+|PLATFORM_DOMAIN)"', text))
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+):-", text))
        names |= set(re.findall(r'environ\.get\("([A-Z][A-Z0-9_]+)"', text))
    assert len(names) > 15
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert missing == []
    assert "## Deploying to AWS" in readme
    assert "### Production settings checklist" in readme


def test_the_web_role_migrates_once_then_serves(gunicorn):
    """`entrypoint.sh web`, as a container runs it, against the (migrated) test database:
    migrate_once finds nothing to do, then gunicorn serves the production entry."""
    from tests.deploy.conftest import next_port, stop, test_database_url, wait_listening

    port = next_port()
    log = Path(gunicorn.log).parent / f"web-role-{port}.log"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "APP_DIR": str(ROOT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": test_database_url(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "LOG_LEVEL": "WARNING",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(DEPLOY / "entrypoint.sh"), "web"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_listening(port, process, log)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/__lbheartbeat__", headers={"Host": "localhost"})
        response = conn.getresponse()
        assert response.status == 200 and response.read() == b"OK"
        conn.close()
    finally:
        stop(process)
    output = log.read_text()
    assert "[migrate_once] nothing to migrate: every schema is at head" in output, output


def _wait_for_line(process: subprocess.Popen, log: Path, needle: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if needle in output:
            return output
        if process.poll() is not None:
            break
        time.sleep(0.2)
    return log.read_text(errors="replace")


def test_the_worker_and_beat_roles_start(tmp_path):
    """`entrypoint.sh worker` and `entrypoint.sh beat` reach the test stack's Redis."""
    env = {
        **os.environ,
        "APP_DIR": str(ROOT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "LOG_LEVEL": "INFO",
        "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "celerybeat-schedule"),
        # A queue of its own: this worker must not take other tests' queued tasks.
        "CELERY_QUEUE": f"deploy-test-{uuid.uuid4().hex[:8]}",
    }
    for role, needle in (("worker", " ready."), ("beat", "beat: Starting...")):
        log = tmp_path / f"{role}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [str(DEPLOY / "entrypoint.sh"), role],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
            )
        try:
            output = _wait_for_line(process, log, needle, timeout=60)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        assert needle in output, output[-3000:]
