"""The tenant URLconf plus a view that fails, for error-reporting tests only."""

from django.urls import path

from config.urls_tenant import handler404, handler500  # noqa: F401
from config.urls_tenant import urlpatterns as tenant_urlpatterns


def boom(request):
    raise RuntimeError("boom for the error-reporting test")


urlpatterns = [*tenant_urlpatterns, path("boom", boom), path("api/v1/boom", boom)]
