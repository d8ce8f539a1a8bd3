"""What every institution command shares: finding the institution, clear errors, the actor."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shared_apps.audit.services import Actor
from tenants.models import Tenant


def messages_of(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(str(m) for m in msgs)}"
            for field, msgs in error.message_dict.items()
        )
    return " ".join(error.messages)


class TenantCommand(BaseCommand):
    """A command acting on institutions: service errors become a message and exit status 1."""

    actor = Actor.cli()

    def tenant(self, slug: str) -> Tenant:
        tenant = Tenant.objects.filter(slug=slug.strip().lower()).first()
        if tenant is None:
            raise CommandError(f"There is no institution '{slug}' (see tenant_list).")
        return tenant

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except ValidationError as error:
            raise CommandError(messages_of(error)) from None
