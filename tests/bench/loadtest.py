#!/usr/bin/env python3
"""`make loadtest`: requests/second and p99 through nginx + gunicorn, as in production.

Brings up the bench profile's services (deploy/dev/stack.py, from empty; OAE_STACK_SLOT
gives a parallel copy), migrates, creates the demo institution, starts the product's
gunicorn (deploy/gunicorn.conf.py with its production entry) behind the product's nginx
site (deploy/nginx/, rendered for loopback), signs a demo member in through the real
sign-in form and fetches an API token through the real API, then loads it with wrk in
alternating rounds:

  lbheartbeat  GET /__lbheartbeat__       the baseline: nginx + gunicorn, no Django view
  dashboard    GET / (signed in)          the demo institution's home page of a member
  people-api   GET /api/v1/people/        the directory API with a Bearer token
  people-direct  the same straight to gunicorn: what nginx costs

Each line: median requests/second and p99 over the rounds, and the ratio to the baseline.

``--baseline PATH`` also serves another checkout of the code (say, main before a change:
``git worktree add /tmp/base main``) with its own gunicorn and nginx, same settings,
same services and data, on free ports, and adds its dashboard and people-api to the
alternating rounds: a before/after comparison in the same run conditions.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import importlib.util
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "deploy" / "nginx"))

from render import render_to  # noqa: E402

from tests.bench.run import ensure_wrk, parse_wrk, wait_for_port  # noqa: E402

DEMO_HOST = "demo.localhost"
MEMBER = "alice"


def _stack():
    spec = importlib.util.spec_from_file_location("oae_stack", ROOT / "deploy" / "dev" / "stack.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["oae_stack"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def sign_in(port: int, password: str) -> str:
    """The session cookie of MEMBER, through the real sign-in form (CSRF and all)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"

    def open_(request: urllib.request.Request):
        request.add_header("Host", DEMO_HOST)
        return opener.open(request, timeout=30)

    page = open_(urllib.request.Request(f"{base}/signin")).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": MEMBER, "password": password}
    ).encode()
    open_(
        urllib.request.Request(
            f"{base}/signin", data=form, headers={"Referer": f"http://{DEMO_HOST}/signin"}
        )
    ).read()
    session = next((c.value for c in jar if c.name == "sessionid"), None)
    if not session:
        sys.exit("signing in failed: no session cookie")
    return session


def api_token(port: int, password: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token",
        data=json.dumps({"username": MEMBER, "password": password, "name": "loadtest"}).encode(),
        headers={"Host": DEMO_HOST, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["token"]


def check(port: int, path: str, headers: dict[str, str], expect: str) -> None:
    """One request first: the load must measure the page we mean, not a redirect or error."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Host": DEMO_HOST, **headers}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read().decode()
    if response.status != 200 or expect not in body:
        sys.exit(f"{path} did not answer as expected ({response.status}): {body[:300]}")


def wrk(binary: str, port: int, path: str, headers: dict[str, str], seconds: int, conns: int):
    argv = [binary, "-t2", f"-c{conns}", f"-d{seconds}s", "--latency"]
    for name, value in {"Host": DEMO_HOST, **headers}.items():
        argv += ["-H", f"{name}: {value}"]
    result = subprocess.run(
        [*argv, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    )
    return parse_wrk(result.stdout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(
    code: Path, env: dict[str, str], app_port: int, proxy_port: int, run_dir: Path, log
) -> list[subprocess.Popen]:
    """The product's gunicorn (from checkout ``code``) behind the product's nginx site."""
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            str(code / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{app_port}",
        ],
        cwd=code,
        env={**env, "PYTHONPATH": os.pathsep.join([str(code), str(code / "platform")])},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    conf = render_to(
        run_dir,
        {
            "PLATFORM_DOMAIN": "localhost",
            "NGINX_LISTEN": f"127.0.0.1:{proxy_port}",
            "NGINX_UPSTREAM": f"127.0.0.1:{app_port}",
            "NGINX_ACCESS_LOG": "off",
            "NGINX_WORKER_PROCESSES": "1",
            **({"NGINX_USER": "root"} if os.geteuid() == 0 else {}),
        },
    )
    nginx = subprocess.Popen(
        ["nginx", "-c", str(conf), "-g", "daemon off;"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return [gunicorn, nginx]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="leave the bench services running")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout to serve beside this one and compare with (same run)",
    )
    args = parser.parse_args()

    stack = _stack()
    profile = stack._profiles()["bench"]
    binary = ensure_wrk()
    stack.wipe(profile)
    children: list[subprocess.Popen] = []
    try:
        stack.up(profile)
        env = stack.child_env(profile)
        env.update(
            {
                "GUNICORN_WORKERS": os.environ.get("GUNICORN_WORKERS", "2"),
                "GUNICORN_THREADS": os.environ.get("GUNICORN_THREADS", "4"),
                "GUNICORN_MAX_REQUESTS": "0",  # recycling would measure start-up
                "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            }
        )
        credentials = profile.var / "demo-credentials.json"
        for command in (
            ["migrate_tenants"],
            ["bootstrap_demo", "--credentials-file", str(credentials)],
        ):
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), *command],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        password = json.loads(credentials.read_text())[f"demo:{MEMBER}"]

        # web + 2, not web + 1: web + 1 of one slot is a port of a slot-shifted dev stack
        app_port, proxy_port = profile.web, profile.web + 2
        log = (profile.var / "loadtest-gunicorn.log").open("w")
        children += serve(ROOT, env, app_port, proxy_port, profile.var / "nginx", log)
        if args.baseline:
            base_app, base_proxy = _free_port(), _free_port()
            base_log = (profile.var / "loadtest-baseline.log").open("w")
            base_dir, base_code = profile.var / "nginx-baseline", args.baseline.resolve()
            children += serve(base_code, env, base_app, base_proxy, base_dir, base_log)
            wait_for_port(base_app)
            wait_for_port(base_proxy)
        wait_for_port(app_port)
        wait_for_port(proxy_port)

        session = sign_in(proxy_port, password)
        token = api_token(proxy_port, password)
        signed_in = {"Cookie": f"sessionid={session}"}
        bearer = {"Authorization": f"Bearer {token}"}
        cases = {
            "lbheartbeat": (proxy_port, "/__lbheartbeat__", {}),
            "dashboard": (proxy_port, "/", signed_in),
            "people-api": (proxy_port, "/api/v1/people/", bearer),
            "people-direct": (app_port, "/api/v1/people/", bearer),
        }
        if args.baseline:
            cases["dashboard-base"] = (base_proxy, "/", signed_in)
            cases["people-api-base"] = (base_proxy, "/api/v1/people/", bearer)
        for port, path, headers in cases.values():
            if path == "/":
                check(port, "/", signed_in, "Welcome, Alice Archer")
            elif path.startswith("/api/"):
                check(port, path, headers, '"results"')
        for port, path, headers in cases.values():  # warm up
            wrk(binary, port, path, headers, 2, args.connections)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, (port, path, headers) in cases.items():
                results[name].append(
                    wrk(binary, port, path, headers, args.seconds, args.connections)
                )
        rps = {n: statistics.median(r for r, _ in rounds) for n, rounds in results.items()}
        p99 = {n: statistics.median(p for _, p in rounds) for n, rounds in results.items()}
        print()
        print(
            f"load through nginx + gunicorn ({args.rounds} alternating rounds of "
            f"{args.seconds}s, {args.connections} connections, gunicorn "
            f"{env['GUNICORN_WORKERS']}x{env['GUNICORN_THREADS']} gthread, nginx 1 worker)"
        )
        print(f"{'case':<15}{'request':<34}{'req/s':>9}{'p99 ms':>9}{'/base':>8}")
        for name, (port, path, _headers) in cases.items():
            via = "gunicorn" if port == app_port else "nginx"
            if name.endswith("-base"):
                via = "baseline nginx"
            print(
                f"{name:<15}{via + ' ' + path:<34}{rps[name]:>9.0f}{p99[name]:>9.2f}"
                f"{rps[name] / rps['lbheartbeat']:>8.2f}"
            )
        print(
            f"people-api / people-direct = {rps['people-api'] / rps['people-direct']:.2f} "
            "(what nginx in front costs the API's throughput; 1.00 = nothing)"
        )
        if args.baseline:
            for name in ("dashboard", "people-api"):
                print(
                    f"{name} / {name}-base = {rps[name] / rps[name + '-base']:.2f} "
                    f"(this checkout against {args.baseline}, same run)"
                )
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
        if not args.keep:
            stack.down(profile)


if __name__ == "__main__":
    sys.exit(main())
