from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("bench_widen", "0001_initial")]
    operations = [
        migrations.AddField("row", "score", models.IntegerField(default=0)),
        migrations.AddIndex("row", models.Index(fields=["score"], name="bench_widen_row_score")),
    ]
