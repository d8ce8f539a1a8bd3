"""The platform console: institutions, their lifecycle, the audit log (platform admins only).

Every change goes through tenants.services with the signed-in admin as the actor;
a view only parses the form, calls one service and redirects (POST-redirect-GET)
with a message, or re-renders the form with its errors and a 4xx status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from config.errors import show_error
from config.keyset import cursor_decode, keyset_page
from config.redirects import requested_target
from config.signin_limits import SigninLimiter, SigninRefused
from shared_apps.audit.services import Actor, audit_record
from shared_apps.console.access import is_platform_admin, platform_admin_required, tenant_or_404
from shared_apps.console.forms import (
    DEFAULT_PAGE_SIZE,
    AuditFilterForm,
    ConsoleLoginForm,
    DeleteForm,
    DomainForm,
    QuotaForm,
    TenantCreateForm,
    TenantFilterForm,
    TenantNameForm,
    TokenForm,
)
from shared_apps.console.selectors import (
    AUDIT_ORDERING,
    TENANT_SORT_LABELS,
    admin_tokens,
    audit_with_actors,
    console_audit,
    console_tenants,
    tenant_count,
    tenant_domains,
    tenant_sorted,
    tenant_traffic_day,
)
from tenant_apps.people.services import token_create, token_revoke
from tenant_apps.people.two_factor import session_fresh
from tenants.models import Tenant, TenantStatus
from tenants.provisioning import TemplateStale
from tenants.services import (
    tenant_add_domain,
    tenant_create,
    tenant_delete,
    tenant_remove_domain,
    tenant_rename,
    tenant_restore,
    tenant_resume,
    tenant_suspend,
    tenant_update,
)

RECENT_AUDIT_ENTRIES = 10
AUDIT_PAGE_SIZE = 50


def _home() -> str:
    return reverse("console:tenants")


def _query(**params) -> str:
    return "?" + urlencode({key: value for key, value in params.items() if value})


def tenant_url(tenant: Tenant) -> str:
    """A link to the institution's own site, as the platform's e-mails write it."""
    domain = next((d.domain for d in tenant.domains.all() if d.is_primary), None)
    domain = domain or f"{tenant.slug}.{settings.PLATFORM_DOMAIN}"
    return f"{settings.PLATFORM_URL_SCHEME}://{domain}{settings.PLATFORM_URL_PORT}/"


# --- signing in and out -------------------------------------------------------------------
# The console's sign-in controls every institution: failures are limited per address and
# per account from one address (config.signin_limits), and each is in the audit log.
CONSOLE_LIMITER = SigninLimiter(scope="console-signin")


def _login_page(request: HttpRequest, form, next_url: str, *, status: int) -> HttpResponse:
    return render(request, "console/login.html", {"form": form, "next": next_url}, status=status)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = requested_target(request, _home())
    if request.method == "GET" and is_platform_admin(request.user):
        return redirect(next_url)
    form = ConsoleLoginForm(request, data=request.POST if request.method == "POST" else None)
    if not form.is_bound:
        return _login_page(request, form, next_url, status=200)
    username = str(request.POST.get("username", ""))[:150]
    address = request.META.get("REMOTE_ADDR") or None
    try:
        CONSOLE_LIMITER.check(username=username, address=address)
    except SigninRefused as refused:
        form = ConsoleLoginForm(request)  # not validated: no password is checked
        form.cleaned_data = {}
        form.add_error(None, refused.message)
        response = _login_page(request, form, next_url, status=429)
        response["Retry-After"] = str(refused.retry_after)
        return response
    if form.is_valid():
        CONSOLE_LIMITER.succeeded(username=username, address=address)
        login(request, form.get_user())
        return redirect(next_url)
    if username and request.POST.get("password"):  # a password was checked, and refused
        CONSOLE_LIMITER.failed(username=username, address=address)
        audit_record(
            actor=Actor(kind="anonymous", name="anonymous", ip=address),
            verb="console.signin_failed",
            details={"username": username},
        )
    return _login_page(request, form, next_url, status=400)


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("console:login")


# --- institutions ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TenantRow:
    """One row of the institution list, every cell already formatted (strings)."""

    url: str
    name: str
    slug: str
    status: str
    status_label: str
    domains: SafeString
    people: str
    items: str
    stored: str
    stored_bytes: str
    saved: str
    saved_bytes: str
    active_iso: str  # "" when never active
    active_ago: str
    created_iso: str
    created_day: str


def tenant_rows(tenants: list[Tenant], domains: dict[int, list[str]]) -> list[TenantRow]:
    """The list's rows, formatted once per distinct value; ``domains``: each institution's
    host names by id (``tenant_domains``).

    The template's filters and ``{% blocktranslate %}`` cost about a millisecond per row
    (each number, size and date looks up the active language, format and time zone
    again, and most rows repeat the same few values: 0 people, 0 bytes); formatted here,
    with the same functions and the same translated strings, a page of 50 costs a few.
    """
    memo: dict[tuple[str, object], str] = {}

    def once(kind: str, value: object, make: Callable[[], str]) -> str:
        key = (kind, value)
        if key not in memo:
            memo[key] = make()
        return memo[key]

    def number(value: int) -> str:
        return once("number", value, lambda: str(formats.localize(value)))

    def size(value: int) -> str:
        return once("size", value, lambda: str(filesizeformat(value)))

    def in_bytes(value: int) -> str:
        return once(
            "bytes",
            value,
            lambda: (
                ngettext("%(counter)s byte", "%(counter)s bytes", value)
                % {"counter": number(value)}
            ),
        )

    labels = {value: str(label) for value, label in TenantStatus.choices}
    zone = timezone.get_current_timezone()
    now = timezone.now()
    line_break = mark_safe("<br>")
    rows = []
    for tenant in tenants:
        usage = getattr(tenant, "usage", None)
        stored = usage.bytes_stored if usage else 0
        saved = usage.bytes_saved if usage else 0
        active: datetime | None = usage.last_activity if usage else None
        created = tenant.created.astimezone(zone)
        rows.append(
            TenantRow(
                url=reverse("console:tenant", args=[tenant.slug]),
                name=tenant.name,
                slug=tenant.slug,
                status=tenant.status,
                status_label=labels.get(tenant.status, tenant.status),
                domains=format_html_join(
                    line_break, "{}", ((domain,) for domain in domains.get(tenant.pk, ()))
                ),
                people=number(usage.people if usage else 0),
                items=number(usage.items if usage else 0),
                stored=size(stored),
                stored_bytes=in_bytes(stored),
                saved=size(saved),
                saved_bytes=in_bytes(saved),
                active_iso=active.astimezone(zone).isoformat() if active else "",
                active_ago=_("%(since)s ago") % {"since": timesince(active, now)} if active else "",
                created_iso=created.isoformat(),
                created_day=created.strftime("%Y-%m-%d"),
            )
        )
    return rows


@platform_admin_required
def tenant_list(request: HttpRequest) -> HttpResponse:
    filters = TenantFilterForm(request.GET)
    q, status = filters.value("q", ""), filters.value("status", "")
    sort, limit = filters.sort_value, filters.value("limit", DEFAULT_PAGE_SIZE)
    tenants = console_tenants(search=q, status=status)
    sorted_tenants, ordering = tenant_sorted(tenants, sort)
    cursor = request.GET.get("cursor")
    # The host names are read as pairs (tenant_domains), not prefetched as models.
    rows = sorted_tenants.prefetch_related(None)
    page = keyset_page(rows, ordering=ordering, cursor=cursor, limit=limit)
    # Filters never fail the page: what was not understood is left out, and said so.
    ignored = [
        f"{filters[name].label}: {error}"
        for name, errors in filters.errors.items()
        for error in errors
    ]
    if cursor and cursor_decode(cursor, ordering.kind) is None:
        ignored.append(_("The page link was not understood: the first page is shown."))
    total, more = tenant_count(tenants)
    here = {"q": q, "status": status, "limit": limit if limit != DEFAULT_PAGE_SIZE else ""}
    # Each column header sorts by it; a second click turns the direction round.
    sorts = {}
    for key in TENANT_SORT_LABELS:
        current = sort.removeprefix("-") == key
        descending = sort.startswith("-")
        target = f"-{key}" if current and not descending else key
        arrow = ("\u2193" if descending else "\u2191") if current else ""
        sorts[key] = {"url": _query(**here, sort=target), "arrow": arrow}
    context = {
        "filters": filters,
        "page": page,
        "rows": tenant_rows(page.items, tenant_domains(page.items)),
        "total": total,
        "more": more,
        "ignored": ignored,
        "sorts": sorts,
        "sort": sort,
        "next_url": page.next_cursor and _query(**here, sort=sort, cursor=page.next_cursor),
        "prev_url": page.prev_cursor and _query(**here, sort=sort, cursor=page.prev_cursor),
        "first_url": _query(**here, sort=sort) if request.GET.get("cursor") else None,
    }
    return render(request, "console/tenants.html", context)


@platform_admin_required
def tenant_new(request: HttpRequest) -> HttpResponse:
    form = TenantCreateForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            try:
                tenant = tenant_create(
                    slug=form.cleaned_data["slug"],
                    name=form.cleaned_data["name"],
                    actor=Actor.from_request(request),
                )
            except ValidationError as exc:
                show_error(request, exc, form=form)
            except IntegrityError:
                # Someone took the slug or its host name between the check and the insert.
                form.add_error(
                    "slug", _("That slug or its address was just taken; choose another one.")
                )
                status = 409
            except TemplateStale as exc:
                show_error(request, exc, form=form)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("%(name)s is ready at %(tenant_url)s")
                    % {"name": tenant.name, "tenant_url": tenant_url(tenant)},
                )
                return redirect("console:tenant", slug=tenant.slug)
    return render(request, "console/tenant_new.html", {"form": form}, status=status)


def _detail(request: HttpRequest, tenant: Tenant, *, status: int = 200, **forms) -> HttpResponse:
    entries = audit_with_actors(list(console_audit(target=tenant.slug)[:RECENT_AUDIT_ENTRIES]))
    usage = getattr(tenant, "usage", None)
    context = {
        "tenant": tenant,
        "usage": usage,
        "url": tenant_url(tenant),
        "domains": list(tenant.domains.all()),
        "traffic": tenant_traffic_day(tenant),
        "entries": entries,
        "grace_days": settings.TENANT_DELETE_GRACE_DAYS,
        "is_deleting": tenant.status == TenantStatus.DELETING,
        "is_active": tenant.status == TenantStatus.ACTIVE,
        "name_form": forms.get("name_form") or TenantNameForm(initial={"name": tenant.name}),
        "quota_form": forms.get("quota_form")
        or QuotaForm(
            initial={
                "quota_people": tenant.quota_people,
                "quota_storage_bytes": tenant.quota_storage_bytes,
            }
        ),
        "domain_form": forms.get("domain_form") or DomainForm(),
        "delete_form": forms.get("delete_form") or DeleteForm(slug=tenant.slug),
    }
    return render(request, "console/tenant_detail.html", context, status=status)


@platform_admin_required
def tenant_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _detail(request, tenant_or_404(slug))


def _refused(request: HttpRequest, tenant: Tenant, exc: ValidationError) -> HttpResponse:
    """The service said no: the detail page again, with its reasons; nothing changed."""
    show_error(request, exc)
    return _detail(request, tenant_or_404(tenant.slug), status=400)


def _invalid(request: HttpRequest, tenant: Tenant, **forms) -> HttpResponse:
    """A form with errors: the detail page again, the form showing them; nothing changed."""
    messages.error(request, _("Nothing was changed: correct the marked field below."))
    return _detail(request, tenant_or_404(tenant.slug), status=400, **forms)


def _done(request: HttpRequest, tenant: Tenant, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("console:tenant", slug=tenant.slug)


def _simple_action(
    service: Callable[..., Tenant], message: Callable[[Tenant], str]
) -> Callable[..., HttpResponse]:
    """A POST-only view that calls ``service(tenant=..., actor=...)`` and reports the outcome."""

    @platform_admin_required
    @require_POST
    def view(request: HttpRequest, slug: str) -> HttpResponse:
        tenant = tenant_or_404(slug)
        try:
            tenant = service(tenant=tenant, actor=Actor.from_request(request))
        except ValidationError as exc:
            return _refused(request, tenant, exc)
        return _done(request, tenant, message(tenant))

    return view


tenant_suspend_view = _simple_action(
    tenant_suspend,
    lambda t: (
        f"{t.name} is suspended: its site serves reads only and refuses every change "
        "until you resume it."
    ),
)
tenant_resume_view = _simple_action(
    tenant_resume, lambda t: f"{t.name} is active again: changes are accepted."
)
tenant_restore_view = _simple_action(
    tenant_restore,
    lambda t: (
        f"{t.name} is restored ({t.get_status_display().lower()}); its addresses answer again."
    ),
)


@platform_admin_required
@require_POST
def tenant_delete_view(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = tenant_or_404(slug)
    form = DeleteForm(request.POST, slug=tenant.slug)
    if not form.is_valid():
        return _invalid(request, tenant, delete_form=form)
    try:
        tenant = tenant_delete(tenant=tenant, actor=Actor.from_request(request))
    except ValidationError as exc:
        return _refused(request, tenant, exc)
    return _done(
        request,
        tenant,
        f"{tenant.name} is deleted: its addresses answer 404 from now on. You can restore it "
        f"until {tenant.purge_after:%Y-%m-%d %H:%M} UTC; after that its data and files are "
        "purged for good.",
    )


def _form_action(
    request: HttpRequest,
    slug: str,
    form_class,
    form_name: str,
    act: Callable[[Tenant, dict, Actor], str],
    *,
    field: str | None = None,
) -> HttpResponse:
    """A POST of one of the detail page's forms: ``act(tenant, cleaned_data, actor)`` calls
    the service and says what it did; a refusal is shown on the form (errors naming no
    field on ``field``) and nothing changes."""
    tenant = tenant_or_404(slug)
    form = form_class(request.POST)
    if not form.is_valid():
        return _invalid(request, tenant, **{form_name: form})
    try:
        done = act(tenant, form.cleaned_data, Actor.from_request(request))
    except ValidationError as exc:
        show_error(request, exc, form=form, field=field)
        return _invalid(request, tenant, **{form_name: form})
    return _done(request, tenant, done)


@platform_admin_required
@require_POST
def tenant_rename_view(request: HttpRequest, slug: str) -> HttpResponse:
    def act(tenant: Tenant, data: dict, actor: Actor) -> str:
        renamed = tenant_rename(tenant=tenant, actor=actor, name=data["name"])
        return f"The institution is now called {renamed.name}."

    return _form_action(request, slug, TenantNameForm, "name_form", act, field="name")


@platform_admin_required
@require_POST
def tenant_quotas_view(request: HttpRequest, slug: str) -> HttpResponse:
    def act(tenant: Tenant, data: dict, actor: Actor) -> str:
        tenant = tenant_update(
            tenant=tenant,
            actor=actor,
            quota_people=data["quota_people"],
            quota_storage_bytes=data["quota_storage_bytes"],
        )
        return f"The quotas of {tenant.name} are saved."

    return _form_action(request, slug, QuotaForm, "quota_form", act)


@platform_admin_required
@require_POST
def tenant_domain_add_view(request: HttpRequest, slug: str) -> HttpResponse:
    def act(tenant: Tenant, data: dict, actor: Actor) -> str:
        domain = tenant_add_domain(tenant=tenant, hostname=data["hostname"], actor=actor)
        return f"{domain.domain} now routes to {tenant.name} (once its DNS points at the platform)."

    return _form_action(request, slug, DomainForm, "domain_form", act)


@platform_admin_required
@require_POST
def tenant_domain_remove_view(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = tenant_or_404(slug)
    form = DomainForm(request.POST)
    if not form.is_valid():
        return _invalid(request, tenant)
    hostname = form.cleaned_data["hostname"]
    try:
        tenant_remove_domain(tenant=tenant, hostname=hostname, actor=Actor.from_request(request))
    except ValidationError as exc:
        return _refused(request, tenant, exc)
    return _done(request, tenant, f"{hostname.strip().lower()} no longer routes anywhere.")


# --- the audit log --------------------------------------------------------------------------
@platform_admin_required
def audit_log(request: HttpRequest) -> HttpResponse:
    filters = AuditFilterForm(request.GET)
    filters.is_valid()
    target = filters.cleaned_data.get("target", "")
    verb = filters.cleaned_data.get("verb", "")
    page = keyset_page(
        console_audit(target=target, verb=verb),
        ordering=AUDIT_ORDERING,
        cursor=request.GET.get("cursor"),
        limit=AUDIT_PAGE_SIZE,
    )
    here = {"target": target, "verb": verb}
    context = {
        "filters": filters,
        "page": page,
        "entries": audit_with_actors(page.items),
        "next_url": page.next_cursor and _query(**here, cursor=page.next_cursor),
        "prev_url": page.prev_cursor and _query(**here, cursor=page.prev_cursor),
        "first_url": _query(**here) if request.GET.get("cursor") else None,
    }
    return render(request, "console/audit.html", context)


# --- the admin's own API tokens -------------------------------------------------------------
@platform_admin_required
def token_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and not session_fresh(request):
        # Issuing a token needs a fresh second factor.
        return redirect(f"/2fa/verify?next={reverse('console:tokens')}")
    form = TokenForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "secret": None}
    status = 200
    if form.is_bound:
        if form.is_valid():
            days = form.cleaned_data["expires_in_days"]
            token, secret = token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                expires=timezone.now() + timedelta(days=days) if days else None,
            )
            # Shown on this response only: a redirect would have to keep the secret somewhere.
            context.update(secret=secret, created=token, form=TokenForm())
            status = 201
        else:
            status = 400
    context["tokens"] = list(admin_tokens(request.user))
    context["now"] = timezone.now()
    return render(request, "console/tokens.html", context, status=status)


@platform_admin_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: str) -> HttpResponse:
    token = admin_tokens(request.user).filter(public_id=token_id).first()
    if token is None:  # someone else's token is as missing as no token at all
        raise Http404(_("No such token."))
    token_revoke(token=token)
    messages.success(request, _("The token '%(name)s' is revoked.") % {"name": token.name})
    return redirect("console:tokens")
