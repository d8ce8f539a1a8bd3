from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "tenant_apps.search"
    label = "search"
    verbose_name = "Search and the World"

    def ready(self) -> None:
        from tenant_apps.institution.signals import search_language_changed
        from tenant_apps.search.tasks import on_language_changed

        search_language_changed.connect(on_language_changed, dispatch_uid="search-language")
