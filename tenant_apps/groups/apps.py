from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "tenant_apps.groups"
    label = "groups"
    verbose_name = "Groups"
