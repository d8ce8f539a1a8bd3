from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "tenant_apps.content"
    label = "content"
    verbose_name = "Content library"

    def ready(self) -> None:
        # The group's page shows its library, and its action form shares items with it.
        from tenant_apps.content.views import group_library_section, group_share_item
        from tenant_apps.groups.extensions import group_action_register, group_section_register

        group_section_register(group_library_section)
        group_action_register("share-item", group_share_item)
