import django.contrib.postgres.indexes
from django.db import migrations


class Migration(migrations.Migration):
    """Trigram indexes for the console's institution search and the sign-in page's finder
    (``ILIKE '%word%'`` on names, slugs and host names)."""

    dependencies = [
        ("tenants", "0007_console_list_indexes"),
    ]

    operations = [
        # Also created by people.0005 in each institution's migration (in public either
        # way); here because the public schema's migrations run first.
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="tenant",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["name"], name="tenants_tenant_name_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="tenant",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["slug"], name="tenants_tenant_slug_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="domain",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["domain"], name="tenants_domain_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
