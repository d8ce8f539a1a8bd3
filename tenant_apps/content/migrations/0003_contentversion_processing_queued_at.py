import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('content', '0002_search'),
    ]

    operations = [
        migrations.AddField(
            model_name='contentversion',
            name='processing_queued_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddIndex(
            model_name='contentversion',
            index=models.Index(
                condition=models.Q(('preview_status', 'pending'), ('text_status', 'pending'), _connector='OR'),
                fields=['processing_queued_at'],
                name='content_version_pending_idx',
            ),
        ),
    ]
