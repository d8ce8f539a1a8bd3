from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FoldersConfig(AppConfig):
    name = "tenant_apps.folders"
    label = "folders"
    verbose_name = _("Folders")

    def ready(self) -> None:
        # A group's page lists the folders shared into its library.
        from tenant_apps.folders.views import group_folders_section
        from tenant_apps.groups.extensions import group_section_register

        group_section_register(group_folders_section)
