"""People whose shown name was derived from their username or e-mail address get the
neutral placeholder instead (issue 12, item 3): until now user_create fell back to the
username, which every member then saw in the directory."""

from django.db import migrations
from django.db.models import Q
from django.db.models.functions import Lower

PLACEHOLDER_DISPLAY_NAME = "New member"  # tenant_apps.people.models, frozen here


def forwards(apps, schema_editor):
    User = apps.get_model("people", "User")
    people = User.objects.annotate(shown=Lower("display_name"))
    derived = people.filter(
        Q(shown=Lower("username")) | (~Q(email="") & Q(shown=Lower("email")))
    ).exclude(display_name="")
    derived.update(display_name=PLACEHOLDER_DISPLAY_NAME)


class Migration(migrations.Migration):
    dependencies = [("people", "0005_search")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
