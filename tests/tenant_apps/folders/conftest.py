from tests.tenant_apps.search.conftest import in_a, search_api  # noqa: F401 - fixtures
