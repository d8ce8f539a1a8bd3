from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "shared_apps.site"
    label = "platform_site"
    verbose_name = "Platform site"
