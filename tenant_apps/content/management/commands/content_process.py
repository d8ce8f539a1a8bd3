from __future__ import annotations

from django.db.models import Q
from django_tenants.utils import tenant_context

from tenant_apps.content.models import ContentVersion, Processing
from tenant_apps.content.tasks import version_process
from tenants.management.base import TenantCommand


class Command(TenantCommand):
    help = (
        "Make previews and extract text, here and now, for an institution's versions still "
        "waiting (a lost task, a broker outage); failures are recorded on each version."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")

    def handle(self, *args, **options) -> None:
        tenant = self.tenant(options["slug"])
        done = failed = 0
        with tenant_context(tenant):
            pending = ContentVersion.objects.filter(
                Q(preview_status=Processing.PENDING) | Q(text_status=Processing.PENDING)
            ).values_list("pk", flat=True)
            for pk in list(pending):
                try:
                    version_process(version_id=pk)
                    done += 1
                except Exception as error:  # recorded on the version; go on with the next
                    failed += 1
                    self.stderr.write(f"version {pk}: {type(error).__name__}: {error}")
        self.stdout.write(self.style.SUCCESS(f"{tenant.slug}: processed {done}, failed {failed}"))
