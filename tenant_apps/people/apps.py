from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "tenant_apps.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        # Connects the receivers: caches of users and tokens; the user_logged_in receiver
        # that asks for a second factor.
        from tenant_apps.people import receivers, two_factor  # noqa: F401
