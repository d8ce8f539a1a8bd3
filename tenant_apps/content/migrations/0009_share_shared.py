import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """When a share's sharer last set it (``created`` keeps the first share's date).

    Existing rows take their ``created``: the one date known for them."""

    dependencies = [
        ("content", "0008_search_vector_inline"),
    ]

    operations = [
        migrations.AddField(
            model_name="share",
            name="shared",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunSQL(
            "UPDATE content_share SET shared = created", reverse_sql=migrations.RunSQL.noop
        ),
    ]
