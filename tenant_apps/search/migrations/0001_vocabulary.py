# The search vocabulary (tenant_apps.search.models.Word) and the triggers that keep it.
# Function bodies have no blank lines and no lines starting with "--": the template
# schema is replayed line by line (tenants/schemas.py).

import django.contrib.postgres.indexes
from django.db import migrations, models

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION oae_search_words(p_text text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(DISTINCT w ORDER BY w), '{}')
    FROM regexp_split_to_table(lower(coalesce(p_text, '')), '[^[:alnum:]]+') AS w
    WHERE length(w) BETWEEN 3 AND 64 AND w ~ '[[:alpha:]]'
$$;
CREATE OR REPLACE FUNCTION oae_search_words_add(p_text text, p_everyone boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    found text[] := oae_search_words(p_text);
BEGIN
    IF cardinality(found) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO search_word (word, everyone)
        SELECT w, p_everyone FROM unnest(found) AS w ORDER BY w
        ON CONFLICT (word) DO NOTHING;
    IF p_everyone THEN
        UPDATE search_word SET everyone = true WHERE word = ANY(found) AND NOT everyone;
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION oae_search_words_rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    added bigint;
BEGIN
    DELETE FROM search_word;
    INSERT INTO search_word (word, everyone)
        SELECT w, bool_or(everyone) FROM (
            SELECT unnest(oae_search_words(title)) AS w, visibility = 'public' AS everyone
            FROM content_contentitem
            WHERE deleted_at IS NULL AND visibility IN ('public', 'loggedin')
            UNION ALL
            SELECT unnest(oae_search_words(title)), visibility = 'public'
            FROM groups_group
            WHERE deleted_at IS NULL AND visibility IN ('public', 'loggedin')
            UNION ALL
            SELECT unnest(oae_search_words(display_name)), display_name_visibility = 'public'
            FROM people_user
            WHERE is_active AND listed_in_directory
                AND display_name_visibility IN ('public', 'loggedin')
        ) words GROUP BY w;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END
$$;
CREATE OR REPLACE FUNCTION search_words_content() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.deleted_at IS NULL AND NEW.visibility IN ('public', 'loggedin') AND (
        TG_OP = 'INSERT' OR NEW.title IS DISTINCT FROM OLD.title
        OR NEW.visibility IS DISTINCT FROM OLD.visibility
        OR NEW.deleted_at IS DISTINCT FROM OLD.deleted_at
    ) THEN
        PERFORM oae_search_words_add(NEW.title, NEW.visibility = 'public');
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION search_words_group() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.deleted_at IS NULL AND NEW.visibility IN ('public', 'loggedin') AND (
        TG_OP = 'INSERT' OR NEW.title IS DISTINCT FROM OLD.title
        OR NEW.visibility IS DISTINCT FROM OLD.visibility
        OR NEW.deleted_at IS DISTINCT FROM OLD.deleted_at
    ) THEN
        PERFORM oae_search_words_add(NEW.title, NEW.visibility = 'public');
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION search_words_person() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.is_active AND NEW.listed_in_directory
        AND NEW.display_name_visibility IN ('public', 'loggedin') AND (
        TG_OP = 'INSERT' OR NEW.display_name IS DISTINCT FROM OLD.display_name
        OR NEW.display_name_visibility IS DISTINCT FROM OLD.display_name_visibility
        OR NEW.listed_in_directory IS DISTINCT FROM OLD.listed_in_directory
        OR NEW.is_active IS DISTINCT FROM OLD.is_active
    ) THEN
        PERFORM oae_search_words_add(NEW.display_name, NEW.display_name_visibility = 'public');
    END IF;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS search_words_trigger ON content_contentitem;
CREATE TRIGGER search_words_trigger
    AFTER INSERT OR UPDATE OF title, visibility, deleted_at
    ON content_contentitem FOR EACH ROW EXECUTE FUNCTION search_words_content();
DROP TRIGGER IF EXISTS search_words_trigger ON groups_group;
CREATE TRIGGER search_words_trigger
    AFTER INSERT OR UPDATE OF title, visibility, deleted_at
    ON groups_group FOR EACH ROW EXECUTE FUNCTION search_words_group();
DROP TRIGGER IF EXISTS search_words_trigger ON people_user;
CREATE TRIGGER search_words_trigger
    AFTER INSERT OR UPDATE OF display_name, display_name_visibility, listed_in_directory, is_active
    ON people_user FOR EACH ROW EXECUTE FUNCTION search_words_person();
SELECT oae_search_words_rebuild();
"""
FUNCTIONS_REVERSE = r"""
DROP TRIGGER IF EXISTS search_words_trigger ON content_contentitem;
DROP TRIGGER IF EXISTS search_words_trigger ON groups_group;
DROP TRIGGER IF EXISTS search_words_trigger ON people_user;
DROP FUNCTION IF EXISTS search_words_content();
DROP FUNCTION IF EXISTS search_words_group();
DROP FUNCTION IF EXISTS search_words_person();
DROP FUNCTION IF EXISTS oae_search_words_rebuild();
DROP FUNCTION IF EXISTS oae_search_words_add(text, boolean);
DROP FUNCTION IF EXISTS oae_search_words(text);
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("content", "0007_share_shared_by"),
        ("groups", "0006_group_trash"),
        ("people", "0007_user_language_time_zone"),
    ]

    operations = [
        migrations.CreateModel(
            name="Word",
            fields=[
                ("word", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("everyone", models.BooleanField(default=False)),
            ],
            options={
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(
                        fields=["word"], name="search_word_trgm_idx", opclasses=["gin_trgm_ops"]
                    )
                ],
            },
        ),
        migrations.RunSQL(FUNCTIONS, FUNCTIONS_REVERSE),
    ]
