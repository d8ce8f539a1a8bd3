from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Institutions"

    def ready(self) -> None:
        from config.locale import remember_translations
        from tenants import signals  # noqa: F401  (connects cache invalidation)

        remember_translations()  # the platform's and every institution's pages
