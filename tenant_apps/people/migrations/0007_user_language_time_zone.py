"""A person's own language and time zone (empty: the institution's defaults)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0006_display_names_not_usernames"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="language",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=16, verbose_name="language"
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="time_zone",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=64, verbose_name="time zone"
            ),
        ),
    ]
