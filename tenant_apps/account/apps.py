from django.apps import AppConfig


class AccountConfig(AppConfig):
    name = "tenant_apps.account"
    label = "account"

    def ready(self) -> None:
        # Sign-ins are recorded so that people can see and end their other sessions.
        from tenant_apps.account import signals  # noqa: F401
