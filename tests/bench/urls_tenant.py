"""An institution's URLs plus the same plain view, reached through tenant routing, and the
floors of the in-process page table (tests/bench/floors.py)."""

from django.urls import path

from config.urls_tenant import handler404, handler500  # noqa: F401
from config.urls_tenant import urlpatterns as tenant_urlpatterns
from tests.bench.floors import urlpatterns as floor_urlpatterns
from tests.bench.urls_public import plain

# First: resolving a path walks the patterns in order, and the comparison with the
# platform host's short list must not measure the institution's long one.
urlpatterns = [path("bench/plain", plain), *floor_urlpatterns, *tenant_urlpatterns]
