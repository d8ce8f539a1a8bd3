"""Where a form's or a link's ``next`` may send the browser: an address on this host only.

``url_has_allowed_host_and_scheme`` accepts any relative text, and Django's ``redirect``
treats text without a slash or a dot as a URL pattern's name: ``next=abc`` raised
NoReverseMatch (a 500). A target must be a path (``/...``) or an absolute URL of this host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def local_target(request: HttpRequest, target: str | None, fallback: str = "/") -> str:
    """``target`` if it is an address on this host (a path or an absolute URL of this
    host, with the request's scheme security), else ``fallback``."""
    target = target or ""
    local_path = target.startswith("/") and not target.startswith(("//", "/\\"))
    if not (local_path or urlsplit(target).scheme in ("http", "https")):
        return fallback
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def requested_target(request: HttpRequest, fallback: str = "/") -> str:
    """The ``next`` a form posted (or, failing that, the address's query named), if it is
    an address on this host (``local_target``), else ``fallback``."""
    return local_target(request, request.POST.get("next") or request.GET.get("next"), fallback)
