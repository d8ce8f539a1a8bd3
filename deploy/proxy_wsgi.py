"""The production WSGI entry: Django's application behind nginx.

gunicorn sets REMOTE_ADDR to its peer, which behind nginx is nginx itself; the
per-address limits (sign-in, sign-up, password reset) and the audit log would
then see one address for everybody. nginx sends the client's address (after its
own real-ip step for the load balancer) in X-Real-IP; this wrapper puts it into
REMOTE_ADDR, but only for requests whose peer is a trusted proxy
(FORWARDED_ALLOW_IPS, the same list gunicorn trusts for X-Forwarded-*).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterable

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def _trusted(setting: str) -> Callable[[str], bool]:
    items = [item.strip() for item in setting.split(",") if item.strip()]
    if "*" in items:
        return lambda _peer: True
    networks = [ipaddress.ip_network(item, strict=False) for item in items]

    def check(peer: str) -> bool:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:  # a unix socket's peer, say
            return False
        return any(address in network for network in networks)

    return check


def _valid_address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def behind_proxy(app: WSGIApp, trusted_proxies: str) -> WSGIApp:
    """Wrap ``app`` so that REMOTE_ADDR is X-Real-IP when the peer is a trusted proxy."""
    is_trusted = _trusted(trusted_proxies)

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        real = environ.get("HTTP_X_REAL_IP")
        if real and is_trusted(environ.get("REMOTE_ADDR", "")):
            address = _valid_address(real)
            if address is not None:
                environ["REMOTE_ADDR"] = address
        return app(environ, start_response)

    return application


def _django_application() -> WSGIApp:
    from config.wsgi import application as django_application

    return django_application


application = behind_proxy(
    _django_application(), os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
)
