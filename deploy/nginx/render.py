#!/usr/bin/env python3
"""Render the nginx configuration (deploy/nginx/*.conf) from the environment.

    python deploy/nginx/render.py --out DIR            nginx.conf + oae.conf in DIR
    python deploy/nginx/render.py --out DIR --site-only  only oae.conf (for sites-enabled/)
    nginx -c DIR/nginx.conf -g 'daemon off;'

Placeholders are {{NAME}}; every value is checked against a pattern before it is
written, so no value can carry a `;` or a `{` into the configuration. The README's
"Deploying to AWS" section lists the variables.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES = ("nginx.conf", "oae.conf")
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")

SIZE = r"\d+[kKmMgG]?"
TIME = r"\d+(ms|s|m|h)?"
HOST = r"[A-Za-z0-9.-]+"
PATH = r"/[A-Za-z0-9._/-]*"
ADDRESS = r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d+|unix:/[A-Za-z0-9._/-]+"
CIDR = r"[0-9A-Fa-f:.]+(/\d{1,3})?"

# name -> (environment variable, default, pattern)
VARIABLES: dict[str, tuple[str, str | None, str]] = {
    "PLATFORM_DOMAIN": ("PLATFORM_DOMAIN", "localhost", HOST),
    "LISTEN": ("NGINX_LISTEN", "8080", rf"\d+|{ADDRESS}"),
    "UPSTREAM": ("NGINX_UPSTREAM", None, ADDRESS),  # default: GUNICORN_BIND
    # The live channel's ASGI server (uvicorn; deploy/systemd/oae-live.service).
    "LIVE_UPSTREAM": ("NGINX_LIVE_UPSTREAM", "127.0.0.1:8001", ADDRESS),
    "LIVE_IDLE_TIMEOUT": ("NGINX_LIVE_IDLE_TIMEOUT", "120s", TIME),
    "CLIENT_MAX_BODY_SIZE": ("NGINX_CLIENT_MAX_BODY_SIZE", "100m", SIZE),
    "MAX_HEADER_SIZE": ("NGINX_MAX_HEADER_SIZE", "8k", SIZE),
    "CLIENT_TIMEOUT": ("NGINX_CLIENT_TIMEOUT", "10s", TIME),
    "KEEPALIVE_TIMEOUT": ("NGINX_KEEPALIVE_TIMEOUT", "75s", TIME),
    "PROXY_TIMEOUT": ("NGINX_PROXY_TIMEOUT", "60s", TIME),
    "REAL_IP_FROM": (
        "NGINX_REAL_IP_FROM",
        "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.1/32",
        rf"{CIDR}(,{CIDR})*",
    ),
    "ACCESS_LOG": ("NGINX_ACCESS_LOG", "/dev/stdout", rf"off|{PATH}"),
    "WORKER_PROCESSES": ("NGINX_WORKER_PROCESSES", "auto", r"auto|\d+"),
    "WORKER_CONNECTIONS": ("NGINX_WORKER_CONNECTIONS", "4096", r"\d+"),
    "RUN_DIR": ("NGINX_RUN_DIR", "/tmp/oae-nginx", PATH),  # noqa: S108
    "MIME_TYPES": ("NGINX_MIME_TYPES", "/etc/nginx/mime.types", PATH),
    # Only when the master runs as root (a host): the workers' user. Unset: none given.
    "USER": ("NGINX_USER", "", r"|[a-z_][a-z0-9_-]*"),
}


class RenderError(ValueError):
    """A variable is malformed, or a template names an unknown placeholder."""


def values_from(environ: Mapping[str, str]) -> dict[str, str]:
    """The placeholder values, checked, from ``environ`` (defaults where unset)."""
    values: dict[str, str] = {}
    for name, (variable, default, pattern) in VARIABLES.items():
        value = environ.get(variable) or default
        if value is None and name == "UPSTREAM":
            value = environ.get("GUNICORN_BIND") or "127.0.0.1:8000"
        if not re.fullmatch(pattern, value):
            raise RenderError(f"{variable}={value!r} is not valid here (expected {pattern}).")
        values[name] = value
    values["PLATFORM_DOMAIN"] = values["PLATFORM_DOMAIN"].lower().rstrip(".")
    networks = [item for item in values.pop("REAL_IP_FROM").split(",") if item]
    values["REAL_IP_FROM_LINES"] = "\n".join(f"set_real_ip_from {net};" for net in networks)
    if values["ACCESS_LOG"] != "off":
        values["ACCESS_LOG"] += " oae_json"
    user = values.pop("USER")
    values["USER_LINE"] = f"user {user};" if user else ""
    values["WORKER_RLIMIT_NOFILE"] = str(int(values["WORKER_CONNECTIONS"]) * 2 + 64)
    return values


def render(template: str, values: Mapping[str, str]) -> str:
    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise RenderError(f"unknown placeholder {{{{{name}}}}}")
        return values[name]

    return re.sub(r"\{\{([A-Z_]+)\}\}", substitute, template)


def render_to(out: Path, environ: Mapping[str, str], *, site_only: bool = False) -> Path:
    """Write the rendered files into ``out``; returns the main configuration's path."""
    values = values_from(environ)
    if not site_only:
        # nginx.conf includes the site from the run directory: render into it.
        values["RUN_DIR"] = str(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("oae.conf",) if site_only else TEMPLATES:
        (out / name).write_text(render((HERE / name).read_text(), values))
    if not site_only:
        for sub in TEMP_DIRS:
            (out / sub).mkdir(exist_ok=True)
    return out / ("oae.conf" if site_only else "nginx.conf")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=None, help="directory to write into (default: NGINX_RUN_DIR)"
    )
    parser.add_argument("--site-only", action="store_true", help="only the site, oae.conf")
    args = parser.parse_args(argv)
    out = args.out or Path(os.environ.get("NGINX_RUN_DIR") or VARIABLES["RUN_DIR"][1])
    try:
        path = render_to(out, os.environ, site_only=args.site_only)
    except RenderError as error:
        print(f"render.py: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
