"""Institutions (tenants) and the hostnames that route to them. Public schema only."""

from __future__ import annotations

import uuid

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Func
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin


class ActivityKey(Func):
    """An institution's last activity, or the epoch if it never had any: the console's
    "last activity" sort key (never NULL, so it can be paged by key).

    The epoch is written into the SQL, not passed as a parameter, so that the expression
    is the same text in the index on it (``tenants_usage_activity_id``) and in every
    query, prepared or not: PostgreSQL matches an expression index by its text.
    """

    template = "COALESCE(%(expressions)s, '1970-01-01 00:00:00+00'::timestamptz)"
    output_field = models.DateTimeField()

    def __init__(self, expression: str | F, **extra) -> None:
        super().__init__(F(expression) if isinstance(expression, str) else expression, **extra)


class TenantStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    # Read-only: reads are served, every write is refused (423 in the API).
    READ_ONLY = "read_only", _("Read-only")
    SUSPENDED = "suspended", _("Suspended")
    # Deletion requested: hosts answer 404 at once; purged after a grace period.
    DELETING = "deleting", _("Deleting")


class Tenant(TenantMixin):
    """One institution: its own PostgreSQL schema and its own blob prefix."""

    # Stable, never reused: names the tenant's S3 prefix (tenants/<uuid>/...) and
    # survives a change of slug.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=63, unique=True)
    name = models.CharField("display name", max_length=200)
    status = models.CharField(
        max_length=16, choices=TenantStatus.choices, default=TenantStatus.ACTIVE
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    # Set while DELETING: when the purge may drop the schema and blobs, and the
    # status a restore returns to.
    purge_after = models.DateTimeField(null=True, blank=True)
    status_before_delete = models.CharField(max_length=16, choices=TenantStatus.choices, blank=True)
    # None: no limit.
    quota_people = models.PositiveIntegerField(null=True, blank=True)
    quota_storage_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    # The default language (empty: the browser's) and time zone of its people, set by
    # its admins (config.locale); read from the routing's cached row, no query.
    language = models.CharField(max_length=16, blank=True, default="", db_default="")
    time_zone = models.CharField(max_length=64, default="UTC", db_default="UTC")

    # Schemas are made by tenants.provisioning (a replay of the template), never
    # by django-tenants' save(), and dropped only by the purge.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]
        indexes = [
            # The console's list, sorted by name or creation then id and paged by key:
            # a page reads its rows from the index instead of sorting every institution.
            models.Index(fields=["name", "id"], name="tenants_tenant_name_id"),
            models.Index(fields=["created", "id"], name="tenants_tenant_created_id"),
            # The console's list filtered by a rare status (suspended, deleting): the few
            # rows found by the index and sorted, not every institution read to find them.
            models.Index(fields=["status"], name="tenants_tenant_status"),
            # The console's search (ILIKE '%word%', tenants.selectors.tenant_ids_matching)
            # and the sign-in page's finder: the trigram index finds the few matching rows
            # instead of reading every institution.
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="tenants_tenant_name_trgm"),
            GinIndex(fields=["slug"], opclasses=["gin_trgm_ops"], name="tenants_tenant_slug_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_public(self) -> bool:
        return False

    @property
    def is_routable(self) -> bool:
        """Whether its hosts serve requests at all (a deleting tenant's answer 404)."""
        return self.status != TenantStatus.DELETING

    @property
    def is_writable(self) -> bool:
        """Whether it accepts writes (suspended and read-only institutions serve reads only)."""
        return self.status == TenantStatus.ACTIVE


class Domain(DomainMixin):
    """A hostname of a tenant: its subdomain of PLATFORM_DOMAIN or a custom domain."""

    class Meta:
        ordering = ["domain"]
        indexes = [
            # The console's search by host name (ILIKE '%word%').
            GinIndex(fields=["domain"], opclasses=["gin_trgm_ops"], name="tenants_domain_trgm"),
        ]

    def __str__(self) -> str:
        return self.domain


class TenantUsage(models.Model):
    """Usage counters an institution writes about itself, read by the console.

    Written with F() increments from inside the tenant's own requests and tasks:
    platform-wide figures never need a query across schemas.
    """

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, primary_key=True, related_name="usage"
    )
    people = models.BigIntegerField(default=0)
    items = models.BigIntegerField(default=0)
    # Distinct bytes held in storage, and bytes as uploaded (before de-duplication).
    bytes_stored = models.BigIntegerField(default=0)
    bytes_uploaded = models.BigIntegerField(default=0)
    last_activity = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The console's list sorted by people, bytes stored or last activity, then the
            # institution's id (its copy here), paged by key: a page is read from the index
            # at the cursor, not sorted from every institution's usage.
            models.Index(fields=["people", "tenant"], name="tenants_usage_people_id"),
            models.Index(fields=["bytes_stored", "tenant"], name="tenants_usage_stored_id"),
            models.Index(ActivityKey("last_activity"), "tenant", name="tenants_usage_activity_id"),
        ]

    def __str__(self) -> str:
        return f"usage of tenant {self.tenant_id}"

    @property
    def bytes_saved(self) -> int:
        return max(self.bytes_uploaded - self.bytes_stored, 0)


class SchemaPoolEntry(models.Model):
    """A ready, unused schema (a replay of the template) that provisioning renames."""

    schema_name = models.CharField(max_length=63, unique=True)
    # The template it was made from: only entries of the current template are used.
    fingerprint = models.CharField(max_length=64, db_index=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return self.schema_name


class SchemaTemplate(models.Model):
    """The dump new institutions are made from: the template schema at one migration state."""

    fingerprint = models.CharField(max_length=64)
    migrations = models.PositiveIntegerField()
    dump = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"template {self.fingerprint[:12]} ({self.migrations} migrations)"


class TenantTraffic(models.Model):
    """One institution's requests, errors, latency and Celery tasks in one hour (UTC).

    Written by ``tenants.traffic_flush`` from the per-hour Redis counters that every
    request and task adds to (config.metrics); read by the console. Public schema only.
    """

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="traffic")
    hour = models.DateTimeField()
    requests = models.BigIntegerField(default=0)
    errors = models.BigIntegerField(default=0)
    latency_ms = models.BigIntegerField(default=0)  # the sum: latency_ms / requests = mean
    tasks = models.BigIntegerField(default=0)
    queue_ms = models.BigIntegerField(default=0)  # the sum of the tasks' queue times

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "hour"], name="tenants_traffic_tenant_hour")
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.hour:%Y-%m-%d %H}:00"


class MigrationSet(models.Model):
    """One set of applied migrations, by its digest (``tenants.migrating``).

    A deploy adds one row (the code's head); institution schemas' records point at it,
    so a schema whose record is known needs no query of its own to be planned.
    """

    digest = models.CharField(max_length=32, primary_key=True)
    migrations = models.JSONField()  # [[app, name], ...], sorted
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"migration set {self.digest[:12]} ({len(self.migrations)} migrations)"


class SchemaMigrationState(models.Model):
    """What one institution schema had applied when ``migrate_tenants`` last saw it.

    Written in the transaction that migrates the schema (or after a check of its own
    ``django_migrations``), and trusted only while the schema is the same object: its
    namespace oid changes if it is dropped and made again. With it, a run with nothing
    to do reads one table instead of 10,000 schemas.
    """

    schema_name = models.CharField(max_length=63, primary_key=True)
    namespace = models.BigIntegerField()  # pg_namespace.oid of the schema when recorded
    digest = models.CharField(max_length=32, db_index=True)  # a MigrationSet's
    updated = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.schema_name} at {self.digest[:12]}"
