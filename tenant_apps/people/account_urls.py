"""URLs of one's own account on an institution's host (included at the root)."""

from django.urls import path

from tenant_apps.people import account_views

urlpatterns = [
    path("password-reset", account_views.password_reset, name="password-reset"),
    path("register", account_views.register, name="register"),
]
