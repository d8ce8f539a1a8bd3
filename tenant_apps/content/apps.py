from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "tenant_apps.content"
    label = "content"
    verbose_name = "Content library"
