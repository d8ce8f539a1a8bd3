import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations


# Search (tenant_apps.search): a folder's title and description, kept by a trigger (see
# people 0005 for oae_search_config). tenants/schemas.py replays this function's body
# line by line: no blank lines and no lines starting with "--" inside it.
TRIGGER = r"""
CREATE OR REPLACE FUNCTION folders_search_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    config regconfig := oae_search_config();
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector(config, coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector(config, coalesce(NEW.description, '')), 'B');
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS folders_search_trigger ON folders_folder;
CREATE TRIGGER folders_search_trigger
    BEFORE INSERT OR UPDATE OF title, description
    ON folders_folder FOR EACH ROW EXECUTE FUNCTION folders_search_update();
UPDATE folders_folder SET title = title;
"""
TRIGGER_REVERSE = r"""
DROP TRIGGER IF EXISTS folders_search_trigger ON folders_folder;
DROP FUNCTION IF EXISTS folders_search_update();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('folders', '0001_initial'),
        ('people', '0005_search'),
    ]

    operations = [
        migrations.AddField(
            model_name='folder',
            name='search_vector',
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name='folder',
            index=django.contrib.postgres.indexes.GinIndex(fields=['search_vector'], name='folder_search_idx'),
        ),
        migrations.AddIndex(
            model_name='folder',
            index=django.contrib.postgres.indexes.GinIndex(fields=['title'], name='folder_title_trgm_idx', opclasses=['gin_trgm_ops']),
        ),
        migrations.RunSQL(TRIGGER, TRIGGER_REVERSE),
    ]
