"""The platform audit log (public schema): who did what to which institution, when, from where."""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    # "admin", "cli" or "system", and who: a platform admin's public id, an OS user, a task.
    actor_kind = models.CharField(max_length=16)
    actor = models.CharField(max_length=200)
    verb = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=100, db_index=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor} {self.verb} {self.target}"
