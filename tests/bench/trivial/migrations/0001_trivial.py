from django.db import migrations


class Migration(migrations.Migration):
    dependencies: list = []
    operations = [migrations.RunSQL("SELECT 1", reverse_sql="SELECT 1")]
