from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "tenant_apps.connections"
    label = "connections"
    verbose_name = "Connections"
