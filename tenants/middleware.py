"""Route each request to its institution's schema by the Host header."""

from __future__ import annotations

from collections.abc import Callable

import sentry_sdk
import structlog
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.http.request import split_domain_port
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from config.locale import request_language
from tenants.selectors import tenant_for_hostname


def hostname_from_request(request: HttpRequest) -> str:
    """The request's host, lower case, without port, trailing dot or a leading ``www.``."""
    host, _port = split_domain_port(request.get_host())
    host = host.rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return host


def unknown_host_response(request: HttpRequest, hostname: str) -> HttpResponse:
    """A plain, branded 404 page: no stack trace, not the platform site, no DB access.

    It links back to the platform site (same scheme and port), where people can find
    their institution.
    """
    try:
        _host, port = split_domain_port(request.get_host())
    except DisallowedHost:
        port = ""
    platform_url = f"{request.scheme}://{settings.PLATFORM_DOMAIN}" + (f":{port}" if port else "")
    with translation.override(request_language(request)):  # the browser's: no institution
        body = render_to_string(
            "unknown_host.html",
            {
                "hostname": hostname,
                "platform_domain": settings.PLATFORM_DOMAIN,
                "platform_url": platform_url,
            },
        )
    return HttpResponseNotFound(body)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Signing in writes only a token or session row; a read-only institution's people
# must still be able to sign in to read.
WRITES_ALLOWED_WHEN_READ_ONLY = frozenset({"/api/v1/auth/token", "/signin", "/signout"})


def read_only_response(request: HttpRequest, tenant) -> HttpResponse:
    """423 for any write to a suspended or read-only institution: problem+json on the API."""
    # Before authentication: the institution's language, else the browser's.
    with translation.override(request_language(request)):
        detail = _(
            "%(name)s is read-only for now: you can read everything, but changes are "
            "not possible. Please try again later or contact your institution."
        ) % {"name": tenant.name}
        if request.path.startswith("/api/"):
            from config.api.problems import problem_response

            return problem_response(
                423, slug="read-only", title=_("Institution is read-only"), detail=detail
            )
        body = render_to_string("read_only.html", {"detail": detail, "tenant": tenant})
    return HttpResponse(body, status=423)


class TenantRoutingMiddleware:
    """Picks the schema (and URLconf) for the request from its hostname.

    The bare ``PLATFORM_DOMAIN`` is the platform site (public schema, public
    URLconf) without a database lookup; any other host must be a tenant's domain
    whose tenant is not being deleted, or it gets the unknown-host page. Unlike
    django-tenants' own middleware, the lookup is cached and the connection is
    not reset to ``public`` first, so a request to the same institution as the
    connection's previous one issues no ``SET search_path`` at all.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            hostname = hostname_from_request(request)
        except DisallowedHost:
            hostname = ""
        if hostname and hostname == settings.PLATFORM_DOMAIN:
            connection.set_schema_to_public()
            request.tenant = connection.tenant
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
        else:
            tenant = tenant_for_hostname(hostname) if hostname else None
            if tenant is None or not tenant.is_routable:
                return unknown_host_response(request, hostname)
            connection.set_tenant(tenant)
            request.tenant = tenant
            if (
                not tenant.is_writable
                and request.method not in SAFE_METHODS
                and request.path not in WRITES_ALLOWED_WHEN_READ_ONLY
            ):
                return read_only_response(request, tenant)
        schema = connection.schema_name
        structlog.contextvars.bind_contextvars(tenant=schema)
        sentry_sdk.get_isolation_scope().set_tag("tenant", schema)
        return self.get_response(request)
