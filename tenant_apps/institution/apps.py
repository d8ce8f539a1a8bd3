from django.apps import AppConfig


class InstitutionConfig(AppConfig):
    name = "tenant_apps.institution"
    label = "institution"
    verbose_name = "Institution profile"
