from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The home page: a dashboard over the features below it (no models of its own)."""

    name = "tenant_apps.home"
    label = "home"
    verbose_name = "Home"
