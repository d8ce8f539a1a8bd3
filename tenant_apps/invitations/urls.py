"""Invitation pages (``/invitations/...``) and the API (``/api/v1/invitations/...``)."""

from django.urls import path

from tenant_apps.invitations import api, views

api_urlpatterns = [
    path("invitations/", api.InvitationsApi.as_view(), name="invitations"),
    path("invitations/accept", api.InvitationAcceptApi.as_view(), name="invitation-accept"),
    path("invitations/<str:public_id>", api.InvitationApi.as_view(), name="invitation"),
]

urlpatterns = [
    path("new", views.invitation_new, name="invitation-new"),
    path("<str:token>", views.invitation_link, name="invitation-link"),
]
