"""Re-encrypt every institution's stored secrets under the newest FIELD_ENCRYPTION_KEYS key.

Rotate a key: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old one after it),
deploy, run this command, then drop the old key.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from tenant_apps.directory.models import LdapSettings, OidcSettings
from tenants.models import Tenant

SECRETS = ((LdapSettings, "bind_password"), (OidcSettings, "client_secret"))


class Command(BaseCommand):
    help = "Re-encrypt the institutions' LDAP and OpenID Connect secrets with the newest key."

    def handle(self, *args, **options) -> None:
        tenants = Tenant.objects.exclude(schema_name=get_public_schema_name()).order_by("slug")
        total = 0
        for tenant in tenants.iterator():
            with schema_context(tenant.schema_name), transaction.atomic():
                changed = 0
                for model, field in SECRETS:
                    for row in model.objects.select_for_update().exclude(**{field: ""}):
                        # Reading decrypted it with whichever key fits; writing encrypts
                        # with the first (EncryptedTextField.get_prep_value).
                        model.objects.filter(pk=row.pk).update(**{field: getattr(row, field)})
                        changed += 1
            total += changed
            self.stdout.write(f"{tenant.slug}: {changed} secret(s) re-encrypted")
        self.stdout.write(
            self.style.SUCCESS(f"done: {total} secret(s) in {tenants.count()} institution(s)")
        )
