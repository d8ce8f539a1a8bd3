"""The platform API, /api/v1/platform/ (platform host, platform admins only)."""

from django.urls import path

from shared_apps.console import api

app_name = "platform_api"
urlpatterns = [
    path("tenants/", api.TenantListApi.as_view(), name="tenants"),
    path("tenants/<slug:slug>", api.TenantDetailApi.as_view(), name="tenant"),
    path("tenants/<slug:slug>/restore", api.TenantRestoreApi.as_view(), name="tenant-restore"),
    path("tenants/<slug:slug>/domains/", api.TenantDomainsApi.as_view(), name="tenant-domains"),
    # The platform host's own OpenAPI document and docs: the institutions' /api/schema/
    # never lists these paths (their URLconf has none of them).
    path("schema/", api.PlatformSchemaApi.as_view(), name="schema"),
    path("docs/", api.PlatformDocsApi.as_view(), name="docs"),
]
