"""The tenant URLconf plus a view that fails, for error-reporting tests only."""

from django.urls import path

from config.urls_tenant import handler404, handler500, urlpatterns as tenant_urlpatterns  # noqa: F401


def boom(request):
    raise RuntimeError("boom for the error-reporting test")


urlpatterns = [*tenant_urlpatterns, path("boom", boom), path("api/v1/boom", boom)]
