from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "tenant_apps.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from tenant_apps.people import receivers  # noqa: F401 (connects them)
