"""The product's web server as the e2e tests and the benchmarks start it."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def gunicorn_argv(port: int) -> list[str]:
    """gunicorn with the product's config (deploy/gunicorn.conf.py) on loopback ``port``;
    the caller's environment chooses workers, threads and the database."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        "--config",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
    ]
