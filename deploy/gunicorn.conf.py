"""gunicorn settings (read with --config). Every value can be set from the environment.

gthread workers: requests are short and mostly wait on PostgreSQL/S3, so a few
threads per process use the cores; nginx in front buffers slow clients.
"""

import multiprocessing
import os
import sys
from pathlib import Path

_root = Path(__file__).resolve().parent.parent
# platform/ is a source root: the project package is `config` inside it.
for _path in (str(_root), str(_root / "platform")):
    if _path not in sys.path:
        sys.path.insert(0, _path)
pythonpath = f"{_root},{_root / 'platform'}"

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
# The application writes its own JSON access line (config.logging).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
