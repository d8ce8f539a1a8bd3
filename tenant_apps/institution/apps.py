from django.apps import AppConfig


class InstitutionConfig(AppConfig):
    name = "tenant_apps.institution"
    label = "institution"
    verbose_name = "Institution profile"

    def ready(self) -> None:
        from tenant_apps.institution import receivers  # noqa: F401 (connects them)
