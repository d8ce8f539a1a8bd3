"""Writes about institutions: the one path for each lifecycle action.

The console, the platform API and the management commands all call these; each
records itself in the audit log in the same transaction.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from config.text import one_line
from shared_apps.audit.services import Actor, audit_record
from tenant_apps.institution.services import institution_profile_rename, institution_profile_set
from tenants.models import Domain, Tenant, TenantStatus, TenantTraffic, TenantUsage
from tenants.provisioning import schema_create_from_template, template_current
from tenants.storage import storage_delete_prefix

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    {
        "www",
        "admin",
        "api",
        "static",
        "media",
        "mail",
        "smtp",
        "imap",
        "pop",
        "ftp",
        "platform",
        "console",
        "status",
        "help",
        "support",
        "docs",
        "public",
        "template",
        "assets",
        "cdn",
        "auth",
        "login",
        "signup",
        "billing",
        "dashboard",
        "test",
    }
)
HOSTNAME_PATTERN = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)


def schema_name_for_slug(slug: str) -> str:
    # Slugs are DNS labels (no underscores), so the mapping is one-to-one.
    return "t_" + slug.replace("-", "_")


def validate_slug(slug: str) -> None:
    """Raise ValidationError with a readable message when ``slug`` can't be a subdomain."""
    if not SLUG_PATTERN.match(slug):
        raise ValidationError(
            _(
                "Use 1 to 40 lower-case letters, digits and hyphens, starting and ending "
                "with a letter or digit."
            ),
            code="invalid",
        )
    if slug in RESERVED_SLUGS:
        raise ValidationError(
            _("'%(slug)s' is reserved; choose another name.") % {"slug": slug}, code="reserved"
        )
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError(_("'%(slug)s' is already taken.") % {"slug": slug}, code="taken")


def _clean_name(name: str) -> str:
    return one_line(
        name,
        empty=_("The institution needs a name."),
        too_long="The name is longer than 200 characters.",
    )


def tenant_create(*, slug: str, name: str, actor: Actor | None = None) -> Tenant:
    """Provision an institution: schema (from the template), subdomain, profile, usage row.

    One transaction (PostgreSQL's DDL is transactional): on any failure the schema,
    the tenant row and its domain vanish together. Raises ValidationError for a bad
    slug or name, TemplateStale when the template is behind the code.
    """

    actor = actor or Actor.system()
    slug = slug.strip().lower()
    name = _clean_name(name)
    validate_slug(slug)
    connection.set_schema_to_public()
    template_current()  # built (and committed) before our transaction, if it never was
    schema = schema_name_for_slug(slug)
    try:
        with transaction.atomic():
            schema_create_from_template(schema)
            tenant = Tenant.objects.create(schema_name=schema, slug=slug, name=name)
            Domain.objects.create(
                domain=f"{slug}.{settings.PLATFORM_DOMAIN}", tenant=tenant, is_primary=True
            )
            TenantUsage.objects.create(tenant=tenant)
            audit_record(actor=actor, verb="tenant.created", target=slug, details={"name": name})
            connection.set_tenant(tenant)
            institution_profile_set(name=name)
            connection.set_schema_to_public()
    finally:
        connection.set_schema_to_public()
    return tenant


def _set_status(tenant: Tenant, status: str, *, actor: Actor, verb: str) -> Tenant:
    tenant.status = status
    tenant.save(update_fields=["status", "purge_after", "status_before_delete", "modified"])
    audit_record(actor=actor, verb=verb, target=tenant.slug)
    return tenant


@transaction.atomic
def tenant_suspend(*, tenant: Tenant, actor: Actor) -> Tenant:
    """Make an institution read-only: its hosts keep serving reads, every write is refused."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.status == TenantStatus.DELETING:
        raise ValidationError(
            {"status": _("A deleted institution cannot be suspended; restore it first.")}
        )
    if tenant.status == TenantStatus.SUSPENDED:
        return tenant
    return _set_status(tenant, TenantStatus.SUSPENDED, actor=actor, verb="tenant.suspended")


@transaction.atomic
def tenant_resume(*, tenant: Tenant, actor: Actor) -> Tenant:
    """Lift a suspension (or read-only state)."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.status == TenantStatus.DELETING:
        raise ValidationError({"status": _("A deleted institution is restored, not resumed.")})
    if tenant.status == TenantStatus.ACTIVE:
        return tenant
    return _set_status(tenant, TenantStatus.ACTIVE, actor=actor, verb="tenant.resumed")


@transaction.atomic
def tenant_delete(*, tenant: Tenant, actor: Actor, grace: timedelta | None = None) -> Tenant:
    """Take an institution offline at once; purge its schema and blobs after the grace period."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.status == TenantStatus.DELETING:
        return tenant
    if grace is None:
        grace = timedelta(days=settings.TENANT_DELETE_GRACE_DAYS)
    tenant.status_before_delete = tenant.status
    tenant.purge_after = timezone.now() + grace
    tenant.status = TenantStatus.DELETING
    tenant.save(update_fields=["status", "purge_after", "status_before_delete", "modified"])
    audit_record(
        actor=actor,
        verb="tenant.deleted",
        target=tenant.slug,
        details={"purge_after": tenant.purge_after.isoformat()},
    )
    return tenant


@transaction.atomic
def tenant_restore(*, tenant: Tenant, actor: Actor) -> Tenant:
    """Undo a deletion during its grace period: back to the status it had."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.status != TenantStatus.DELETING:
        raise ValidationError({"status": _("Only a deleted institution can be restored.")})
    tenant.status = tenant.status_before_delete or TenantStatus.ACTIVE
    tenant.status_before_delete = ""
    tenant.purge_after = None
    tenant.save(update_fields=["status", "purge_after", "status_before_delete", "modified"])
    audit_record(actor=actor, verb="tenant.restored", target=tenant.slug)
    return tenant


def tenant_purge(*, tenant: Tenant, actor: Actor, force: bool = False) -> None:
    """Drop a deleted institution's schema and every object under its storage prefix.

    Only after its grace period unless ``force``. Blobs go first: if the database
    step then fails, a re-run finishes the job (purging is idempotent).
    """
    tenant = Tenant.objects.get(pk=tenant.pk)
    if tenant.status != TenantStatus.DELETING:
        raise ValidationError({"status": _("Only a deleted institution can be purged.")})
    if not force and (tenant.purge_after is None or tenant.purge_after > timezone.now()):
        raise ValidationError(
            {
                "status": f"{tenant.slug} is in its grace period until "
                f"{tenant.purge_after:%Y-%m-%d %H:%M} UTC."
            }
        )
    deleted = storage_delete_prefix(f"tenants/{tenant.uuid}/")
    connection.set_schema_to_public()
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Deferred foreign-key checks still queued in this transaction (from rows the
            # caller wrote earlier in it) would block dropping their tables: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'DROP SCHEMA IF EXISTS "{tenant.schema_name}" CASCADE')
        audit_record(
            actor=actor,
            verb="tenant.purged",
            target=tenant.slug,
            details={"objects_deleted": deleted, "schema": tenant.schema_name},
        )
        tenant.delete()


def tenant_purge_due(*, actor: Actor | None = None) -> list[str]:
    """Purge every institution whose grace period is over; returns their slugs."""
    actor = actor or Actor.system("purge")
    purged = []
    due = Tenant.objects.filter(status=TenantStatus.DELETING, purge_after__lte=timezone.now())
    for tenant in due:
        tenant_purge(tenant=tenant, actor=actor)
        purged.append(tenant.slug)
    return purged


def validate_hostname(hostname: str) -> str:
    hostname = hostname.strip().lower().rstrip(".")
    if not HOSTNAME_PATTERN.match(hostname):
        raise ValidationError(
            _("'%(hostname)s' is not a valid host name (like learn.example.edu).")
            % {"hostname": hostname}
        )
    platform = settings.PLATFORM_DOMAIN
    if hostname == platform or hostname.endswith("." + platform):
        raise ValidationError(
            _(
                "Host names under %(platform)s are the platform's own; add a domain of the "
                "institution's."
            )
            % {"platform": platform}
        )
    if Domain.objects.filter(domain=hostname).exists():
        raise ValidationError(_("'%(hostname)s' is already in use.") % {"hostname": hostname})
    return hostname


@transaction.atomic
def tenant_add_domain(*, tenant: Tenant, hostname: str, actor: Actor) -> Domain:
    """Route a custom host name (the institution points its DNS at the platform).

    ValidationError on "hostname" when it is not one the institution may add.
    """
    try:
        hostname = validate_hostname(hostname)
    except ValidationError as error:
        raise ValidationError({"hostname": error.error_list}) from None
    domain = Domain.objects.create(domain=hostname, tenant=tenant, is_primary=False)
    audit_record(
        actor=actor, verb="tenant.domain_added", target=tenant.slug, details={"domain": hostname}
    )
    return domain


@transaction.atomic
def tenant_remove_domain(*, tenant: Tenant, hostname: str, actor: Actor) -> None:
    domain = Domain.objects.filter(tenant=tenant, domain=hostname.strip().lower()).first()
    if domain is None:
        raise ValidationError(
            {
                "hostname": _("%(slug)s has no domain '%(hostname)s'.")
                % {"slug": tenant.slug, "hostname": hostname}
            }
        )
    if domain.is_primary:
        raise ValidationError({"hostname": _("The institution's own subdomain cannot be removed.")})
    domain.delete()
    audit_record(
        actor=actor,
        verb="tenant.domain_removed",
        target=tenant.slug,
        details={"domain": domain.domain},
    )


def _rename(tenant: Tenant, name: str) -> str:
    """Set the new name on ``tenant`` (locked; the caller saves it) and its own profile."""
    tenant.name = _clean_name(name)
    with schema_context(tenant.schema_name):
        institution_profile_rename(name=tenant.name)
    return tenant.name


@transaction.atomic
def tenant_rename(*, tenant: Tenant, name: str, actor: Actor) -> Tenant:
    """Give an institution a new name: the platform's record and the institution's own
    profile (which its pages show) together. The one write path for a name, whether the
    platform's operators (console, API) or the institution's admins (/manage/) change it.

    ValidationError when the name is blank or longer than 200 characters.
    """
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    details = {"name": _rename(tenant, name)}
    tenant.save(update_fields=["name", "modified"])
    audit_record(actor=actor, verb="tenant.updated", target=tenant.slug, details=details)
    return tenant


@transaction.atomic
def tenant_locale_set(
    *, tenant: Tenant, actor: Actor, language: str | None = None, time_zone: str | None = None
) -> Tenant:
    """Set an institution's default language ("" for the browser's) and time zone (IANA
    name), for its people who chose none (config.locale). None leaves one unchanged.

    ValidationError (by field) for a language the platform does not have or a time zone
    that is not an IANA name; nothing is saved then.
    """
    from config.locale import supported_language, valid_time_zone

    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    errors: dict[str, list[str]] = {}
    details: dict[str, str] = {}
    if language is not None:
        if language and supported_language(language) != language:
            errors["language"] = [_("Choose one of the languages offered.")]
        else:
            tenant.language = details["language"] = language
    if time_zone is not None:
        if not valid_time_zone(time_zone):
            errors["time_zone"] = [_("Choose a time zone like Europe/Madrid.")]
        else:
            tenant.time_zone = details["time_zone"] = time_zone
    if errors:
        raise ValidationError(errors)
    if details:
        tenant.save(update_fields=[*details, "modified"])
        audit_record(actor=actor, verb="tenant.updated", target=tenant.slug, details=details)
    return tenant


@transaction.atomic
def tenant_update(
    *,
    tenant: Tenant,
    actor: Actor,
    name: str | None = None,
    quota_people: int | str | None = "keep",
    quota_storage_bytes: int | str | None = "keep",
) -> Tenant:
    """Change an institution's name (through ``tenant_rename``) or quotas (None lifts a
    quota; "keep" leaves it)."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    changes: dict = {}
    if name is not None:
        changes["name"] = _rename(tenant, name)
    for field, value in (
        ("quota_people", quota_people),
        ("quota_storage_bytes", quota_storage_bytes),
    ):
        if value == "keep":
            continue
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ValidationError({field: _("A quota is a whole number of 0 or more, or none.")})
        setattr(tenant, field, value)
        changes[field] = value
    if changes:
        tenant.save()
        audit_record(actor=actor, verb="tenant.updated", target=tenant.slug, details=changes)
    return tenant


# --- usage and quotas (called from inside an institution's own requests) -------------


TRAFFIC_KEEP_DAYS = 7


def traffic_flush() -> int:
    """Copy the last 25 hours of Redis counters into ``TenantTraffic``; drop rows past a week.

    Idempotent (the counters are cumulative per hour: rows are overwritten, not added
    to). Returns the number of rows written. One query for the schemas' tenants, one
    upsert, one delete: flat in the number of institutions' schemas.
    """
    from config.metrics import traffic_hours

    hours = traffic_hours(25)
    schemas = {schema for per_schema in hours.values() for schema in per_schema}
    tenant_ids = dict(
        Tenant.objects.filter(schema_name__in=schemas).values_list("schema_name", "pk")
    )
    rows = [
        TenantTraffic(
            tenant_id=tenant_ids[schema],
            hour=datetime.strptime(hour, "%Y%m%d%H").replace(tzinfo=UTC),
            requests=counts.get("requests", 0),
            errors=counts.get("errors", 0),
            latency_ms=counts.get("latency_ms", 0),
            tasks=counts.get("tasks", 0),
            queue_ms=counts.get("queue_ms", 0),
        )
        for hour, per_schema in hours.items()
        for schema, counts in per_schema.items()
        if schema in tenant_ids
    ]
    TenantTraffic.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["tenant", "hour"],
        update_fields=["requests", "errors", "latency_ms", "tasks", "queue_ms"],
    )
    TenantTraffic.objects.filter(
        hour__lt=timezone.now() - timedelta(days=TRAFFIC_KEEP_DAYS)
    ).delete()
    return len(rows)
