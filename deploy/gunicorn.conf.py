"""gunicorn settings (read with --config). Every value can be set from the environment.

gthread workers: requests are short and mostly wait on PostgreSQL/S3, so a few
threads per process use the cores; nginx in front buffers slow clients.
"""

import json
import multiprocessing
import os
import sys
from pathlib import Path

from gunicorn.glogging import Logger, SafeAtoms

_root = Path(__file__).resolve().parent.parent
# platform/ is a source root: the project package is `config` inside it.
# deploy/ holds proxy_wsgi.py, the production entry (the client's address from nginx).
for _path in (str(_root), str(_root / "platform"), str(_root / "deploy")):
    if _path not in sys.path:
        sys.path.insert(0, _path)
pythonpath = f"{_root},{_root / 'platform'},{_root / 'deploy'}"

# Used when no application is named on the command line (the container, systemd):
# Django's application with REMOTE_ADDR taken from nginx's X-Real-IP when the peer is
# trusted (FORWARDED_ALLOW_IPS), so per-address rate limits see clients, not nginx.
wsgi_app = "proxy_wsgi:application"

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", min(multiprocessing.cpu_count() * 2, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Recycle workers now and then so a slow leak never becomes an outage.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 500))
# The application writes its own JSON access line (config.logging), with tenant and
# user. GUNICORN_ACCESS_LOG=- adds gunicorn's own line (also JSON) for every request,
# including those that never reach Django (e.g. a worker timeout).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = (
    '{"logger":"gunicorn.access","time":"%(t)s","remote_addr":"%(h)s",'
    '"method":"%(m)s","path":"%(U)s","query":"%(q)s","status":"%(s)s",'
    '"bytes":"%(B)s","duration_us":"%(D)s","host":"%({host}i)s",'
    '"request_id":"%({x-request-id}i)s","user_agent":"%(a)s"}'
)


class _JsonAtoms(SafeAtoms):
    """Request values escaped for a JSON string (quotes, backslashes, control characters)."""

    def __init__(self, atoms: dict) -> None:
        # Not SafeAtoms.__init__: its own quote escaping would undo this one.
        dict.__init__(
            self,
            {k: json.dumps(v)[1:-1] if isinstance(v, str) else v for k, v in atoms.items()},
        )


class JsonAccessLogger(Logger):
    atoms_wrapper_class = _JsonAtoms


logger_class = JsonAccessLogger
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
