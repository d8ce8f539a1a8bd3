from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "tenant_apps.connections"
    label = "connections"
    verbose_name = "Connections"

    def ready(self) -> None:
        # A person's page shows the connection between the viewer and the person.
        # ... and whether the viewer follows them, with their followers and activity.
        from tenant_apps.connections.views import person_following_section, person_panel_section
        from tenant_apps.people.extensions import person_section_register

        person_section_register(person_panel_section)
        person_section_register(person_following_section)
