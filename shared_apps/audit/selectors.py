"""Reading the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from shared_apps.audit.models import AuditEntry


def audit_entries(*, target: str | None = None, verb: str | None = None) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all()
    if target:
        entries = entries.filter(target=target)
    if verb:
        entries = entries.filter(verb=verb)
    return entries.order_by("-created", "-id")
