from django.apps import AppConfig


class AuthoringConfig(AppConfig):
    name = "tenant_apps.authoring"
    label = "authoring"
    verbose_name = "Documents written together"
