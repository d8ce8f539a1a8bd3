"""The platform console (platform host, platform admins only)."""

from django.urls import path

from shared_apps.console import views

app_name = "console"
urlpatterns = [
    path("", views.tenant_list, name="tenants"),
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("new", views.tenant_new, name="tenant-new"),
    path("t/<slug:slug>/", views.tenant_detail, name="tenant"),
    path("t/<slug:slug>/suspend", views.tenant_suspend_view, name="tenant-suspend"),
    path("t/<slug:slug>/resume", views.tenant_resume_view, name="tenant-resume"),
    path("t/<slug:slug>/delete", views.tenant_delete_view, name="tenant-delete"),
    path("t/<slug:slug>/restore", views.tenant_restore_view, name="tenant-restore"),
    path("t/<slug:slug>/name", views.tenant_rename_view, name="tenant-rename"),
    path("t/<slug:slug>/quotas", views.tenant_quotas_view, name="tenant-quotas"),
    path("t/<slug:slug>/domains/add", views.tenant_domain_add_view, name="tenant-domain-add"),
    path(
        "t/<slug:slug>/domains/remove",
        views.tenant_domain_remove_view,
        name="tenant-domain-remove",
    ),
    path("audit/", views.audit_log, name="audit"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<str:token_id>/revoke", views.token_revoke_view, name="token-revoke"),
]
