# A model and the SQL around it, the shape of search.0001: CreateModel + RunSQL.
from django.db import migrations, models

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION bench_addmodel_words() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.words := coalesce(array_length(regexp_split_to_array(trim(NEW.title), '\s+'), 1), 0);
    RETURN NEW;
END
$$;
CREATE TRIGGER bench_addmodel_words_trigger
    BEFORE INSERT OR UPDATE OF title ON bench_addmodel_note
    FOR EACH ROW EXECUTE FUNCTION bench_addmodel_words();
"""
REVERSE = r"""
DROP TRIGGER IF EXISTS bench_addmodel_words_trigger ON bench_addmodel_note;
DROP FUNCTION IF EXISTS bench_addmodel_words();
"""


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []
    operations = [
        migrations.CreateModel(
            name="Note",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=200)),
                ("words", models.IntegerField(default=0)),
                ("created", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "indexes": [
                    models.Index(fields=["created"], name="bench_addmodel_note_created")
                ],
            },
        ),
        migrations.RunSQL(FUNCTIONS, REVERSE),
    ]
