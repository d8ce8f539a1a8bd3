"""search_rebuild <slug>: recompute an institution's search index, with progress."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from tenant_apps.search.services import search_index_rebuild
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Rebuild one institution's search index (every person, group, item and message)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--batch", type=int, default=2000, help="rows per transaction")

    def handle(self, *args, slug: str, batch: int, **options) -> None:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No institution {slug!r}.")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")

        def progress(table: str, done: int, total: int) -> None:
            self.stdout.write(f"[{table}] {done}/{total}")

        with schema_context(tenant.schema_name):
            counts = search_index_rebuild(batch=batch, progress=progress)
        total = sum(counts.values())
        self.stdout.write(self.style.SUCCESS(f"Rebuilt the search index of {slug}: {total} rows."))
