from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrashConfig(AppConfig):
    name = "tenant_apps.trash"
    label = "trash"
    verbose_name = _("Trash")
