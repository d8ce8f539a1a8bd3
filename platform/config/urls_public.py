"""URLs of the platform host (the bare PLATFORM_DOMAIN): platform site and console."""

from django.urls import include, path

from config.locale import language_choose
from config.metrics import metrics_view
from shared_apps.site.views import find, home
from tenant_apps.people import two_factor_views

urlpatterns = [
    path("", home, name="platform-home"),
    path("find", find, name="platform-find"),
    path("console/", include("shared_apps.console.urls")),
    path("2fa/", two_factor_views.overview, name="two-factor"),
    path("2fa/verify", two_factor_views.verify, name="two-factor-verify"),
    path("2fa/enrol", two_factor_views.enrol, name="two-factor-enrol"),
    path("signup/", include("shared_apps.signup.urls")),
    path("api/v1/platform/", include("shared_apps.console.api_urls")),
    path("metrics", metrics_view, name="metrics"),
    # The language picker of visitors who are not signed in (a cookie; config.locale).
    path("language", language_choose, name="language-choose"),
]

handler400 = "config.api.problems.handler400"
handler403 = "config.api.problems.handler403"
handler404 = "config.api.problems.handler404"
handler500 = "config.api.problems.handler500"
