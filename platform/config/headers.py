"""Security headers on every answer: pages, API, health endpoints and the unknown-host page.

``SecurityHeadersMiddleware`` is the first middleware, so that answers made before routing
(the health endpoints, an unknown host, a malformed request) carry the headers too.
A header a view set itself is kept (downloads set a stricter sandboxing policy).

- Content-Security-Policy: scripts only from our own origin, no inline script anywhere
  (the pages have none; the API docs load their start-up script as a file), no plugins,
  no framing, forms post only to our own origin.
- Permissions-Policy: no camera, microphone, geolocation, payment, USB, ... for any page.
- Cache-Control: ``no-store`` on every answer to a signed-in request (a session cookie or
  a bearer token) that did not choose its own caching, so private data stays out of
  shared and back-button caches. Not on a 304, whose cached representation keeps its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Inline style attributes remain in a few templates; styles cannot run code.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    )
)
STATIC_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def is_signed_in_request(request: HttpRequest) -> bool:
    """A request that carries credentials, or that a view authenticated."""
    from django.conf import settings

    user = getattr(request, "user", None)
    return bool(
        (user is not None and getattr(user, "is_authenticated", False))
        or request.META.get("HTTP_AUTHORIZATION")
        or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    )


_HOSTNAME = re.compile(r"[a-z0-9.-]+")


def content_security_policy(request: HttpRequest) -> str:
    """The policy, with the live channel's own port allowed for WebSockets where it has one.

    Where uvicorn listens on a port of its own (``LIVE_URL_PORT``: make run and the browser
    tests; behind nginx it shares the page's origin), ``connect-src 'self'`` would refuse the
    socket: the same host on that port is added, never another host.
    """
    from django.conf import settings

    port = str(getattr(settings, "LIVE_URL_PORT", "") or "")
    host = request.META.get("HTTP_HOST", "").rsplit(":", 1)[0].lower()
    if not (port.isdigit() and _HOSTNAME.fullmatch(host)):
        return CONTENT_SECURITY_POLICY
    live = f"ws://{host}:{port} wss://{host}:{port}"
    return CONTENT_SECURITY_POLICY.replace("connect-src 'self'", f"connect-src 'self' {live}")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for header, value in STATIC_HEADERS.items():
            response.headers.setdefault(header, value)
        if response.headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY:
            response.headers["Content-Security-Policy"] = content_security_policy(request)
        # A 304 revalidates a representation whose own caching headers stand: no-store on
        # it would make browsers drop the copy they just confirmed (a broken image).
        if (
            response.status_code != 304
            and "Cache-Control" not in response.headers
            and is_signed_in_request(request)
        ):
            patch_cache_control(response, no_store=True, private=True)
        return response
