"""URLs of institution administration: pages under /manage/, the API under /api/v1/admin/."""

from django.urls import path

from tenant_apps.avatars import views as avatar_views
from tenant_apps.avatars.api import AdminLogoApi
from tenant_apps.directory import admin_views as directory_admin_views
from tenant_apps.directory.api import (
    AdminLdapApi,
    AdminOidcApi,
    AdminPersonTwoFactorApi,
    AdminSamlApi,
    AdminSigninMethodsApi,
)
from tenant_apps.institution import admin_views as institution_admin_views
from tenant_apps.institution.api import AdminAuditApi
from tenant_apps.manage import api as admin_api
from tenant_apps.manage import views as admin_views

urlpatterns = [
    path("", admin_views.manage_home, name="manage"),
    path("people/", admin_views.people_list, name="manage-people"),
    path("people/invite", admin_views.person_invite_page, name="manage-invite"),
    path("people/import", admin_views.people_import_page, name="manage-import"),
    path("people/<str:public_id>", admin_views.person_page, name="manage-person"),
    path("people/<str:public_id>/access", admin_views.person_access, name="manage-person-access"),
    path(
        "people/<str:public_id>/two-factor-reset",
        directory_admin_views.person_two_factor_reset,
        name="manage-person-two-factor-reset",
    ),
    path("institution", admin_views.institution_settings, name="manage-institution"),
    path("institution/logo", avatar_views.manage_logo, name="manage-logo"),
    path("signin", directory_admin_views.signin_methods_page, name="manage-signin"),
    path("audit", institution_admin_views.audit_page, name="manage-audit"),
]

api_urlpatterns = [
    path("people/", admin_api.AdminPeopleApi.as_view(), name="admin-people"),
    path("people/<str:public_id>", admin_api.AdminPersonApi.as_view(), name="admin-person"),
    path(
        "people/<str:public_id>/two-factor",
        AdminPersonTwoFactorApi.as_view(),
        name="admin-person-two-factor",
    ),
    path("institution", admin_api.AdminInstitutionApi.as_view(), name="admin-institution"),
    path("institution/logo", AdminLogoApi.as_view(), name="admin-logo"),
    path("signin", AdminSigninMethodsApi.as_view(), name="admin-signin"),
    path("signin/ldap", AdminLdapApi.as_view(), name="admin-ldap"),
    path("signin/oidc", AdminOidcApi.as_view(), name="admin-oidc"),
    path("signin/saml", AdminSamlApi.as_view(), name="admin-saml"),
    path("audit/", AdminAuditApi.as_view(), name="admin-audit"),
]
