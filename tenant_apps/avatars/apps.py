from django.apps import AppConfig


class AvatarsConfig(AppConfig):
    name = "tenant_apps.avatars"
    label = "avatars"
    verbose_name = "Profile pictures"
