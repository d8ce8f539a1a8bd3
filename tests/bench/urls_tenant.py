"""An institution's URLs plus the same plain view, reached through tenant routing."""

from django.urls import path

from config.urls_tenant import handler404, handler500  # noqa: F401
from config.urls_tenant import urlpatterns as tenant_urlpatterns
from tests.bench.urls_public import plain

urlpatterns = [*tenant_urlpatterns, path("bench/plain", plain)]
