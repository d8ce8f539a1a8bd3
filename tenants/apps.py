from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Institutions"

    def ready(self) -> None:
        from config.csrf import fast_csrf_secrets
        from config.locale import remember_translations
        from tenants import signals  # noqa: F401  (connects cache invalidation)

        remember_translations()  # the platform's and every institution's pages
        fast_csrf_secrets()  # every page with a form draws a mask, a new visitor a secret
