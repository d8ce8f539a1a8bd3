import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("blobs", "0001_initial"),
        ("groups", "0002_requests_invitations"),
    ]

    operations = [
        migrations.AddField(
            model_name="group",
            name="picture",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="blobs.blob",
            ),
        ),
    ]
