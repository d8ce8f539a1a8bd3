from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscussionsConfig(AppConfig):
    name = "tenant_apps.discussions"
    label = "discussions"
    verbose_name = _("Discussions")

    def ready(self) -> None:
        # A group's page lists its newest discussions (groups never imports this app).
        from tenant_apps.discussions.views import group_discussions_section
        from tenant_apps.groups.extensions import group_section_register

        group_section_register(group_discussions_section)
