# The console's list at 10,000 institutions: every sort is one index's order (the usage
# sorts the usage table's, read through an inner join), a rare status is found by index.

from django.db import migrations, models

import tenants.models

# The usage sorts join institutions to their usage rows (an inner join, so the usage
# index gives the order): every institution has one since tenant_create made it; this
# adds the missing row of any institution made otherwise.
BACKFILL_USAGE = """
INSERT INTO tenants_tenantusage (tenant_id, people, items, bytes_stored, bytes_uploaded)
SELECT tenant.id, 0, 0, 0, 0 FROM tenants_tenant tenant
WHERE NOT EXISTS (SELECT 1 FROM tenants_tenantusage usage WHERE usage.tenant_id = tenant.id)
"""


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0008_search_trigram_indexes'),
    ]

    operations = [
        migrations.RunSQL(BACKFILL_USAGE, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name='tenant',
            index=models.Index(fields=['status'], name='tenants_tenant_status'),
        ),
        migrations.AddIndex(
            model_name='tenantusage',
            index=models.Index(fields=['people', 'tenant'], name='tenants_usage_people_id'),
        ),
        migrations.AddIndex(
            model_name='tenantusage',
            index=models.Index(fields=['bytes_stored', 'tenant'], name='tenants_usage_stored_id'),
        ),
        migrations.AddIndex(
            model_name='tenantusage',
            index=models.Index(
                tenants.models.ActivityKey('last_activity'),
                models.F('tenant'),
                name='tenants_usage_activity_id',
            ),
        ),
    ]
