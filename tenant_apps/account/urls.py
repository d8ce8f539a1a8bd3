"""Account pages (included at the root), the admins' pages (under /manage/) and the API."""

from django.urls import path

from tenant_apps.account import api, views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/password", views.password, name="account-password"),
    path("account/email", views.email, name="account-email"),
    path("account/email/confirm/<str:token>", views.email_confirm, name="account-email-confirm"),
    path(
        "account/sessions/<str:public_id>/end", views.session_end_page, name="account-session-end"
    ),
    path(
        "account/tokens/<str:public_id>/revoke",
        views.token_revoke_page,
        name="account-token-revoke",
    ),
    path("account/export", views.export_page, name="account-export"),
    path(
        "account/exports/<str:public_id>/download",
        views.export_download,
        name="account-export-download",
    ),
    path("account/erasure", views.erasure_page, name="account-erasure"),
    path("terms", views.terms, name="terms"),
    path("manage/terms", views.manage_terms, name="manage-terms"),
    path("manage/privacy", views.manage_privacy, name="manage-privacy"),
    path(
        "manage/people/<str:public_id>/privacy",
        views.manage_person_privacy,
        name="manage-person-privacy",
    ),
]

api_urlpatterns = [
    path("me/password", api.PasswordApi.as_view(), name="my-password"),
    path("me/email", api.EmailApi.as_view(), name="my-email"),
    path("me/email/confirm", api.EmailConfirmApi.as_view(), name="my-email-confirm"),
    path("me/sessions/", api.SessionsApi.as_view(), name="my-sessions"),
    path("me/sessions/<str:public_id>", api.SessionApi.as_view(), name="my-session"),
    path("me/export", api.MyExportApi.as_view(), name="my-export"),
    path("me/erasure", api.MyErasureApi.as_view(), name="my-erasure"),
    path("terms", api.TermsApi.as_view(), name="terms"),
    path("terms/accept", api.TermsAcceptApi.as_view(), name="terms-accept"),
    path("admin/people/<str:public_id>/export", api.AdminExportApi.as_view(), name="admin-export"),
    path(
        "admin/people/<str:public_id>/erasure", api.AdminErasureApi.as_view(), name="admin-erasure"
    ),
    path("admin/privacy", api.AdminPrivacyApi.as_view(), name="admin-privacy"),
    path("admin/terms/", api.AdminTermsApi.as_view(), name="admin-terms"),
]
