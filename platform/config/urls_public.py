"""URLs of the platform host (the bare PLATFORM_DOMAIN): platform site and console."""

from django.urls import path

from shared_apps.site.views import home

urlpatterns = [
    path("", home, name="platform-home"),
]

handler400 = "config.api.problems.handler400"
handler403 = "config.api.problems.handler403"
handler404 = "config.api.problems.handler404"
handler500 = "config.api.problems.handler500"
