"""Connection pages (``/connections/``) and the API (``/api/v1/connections/...``)."""

from django.urls import path

from tenant_apps.connections import api, views

api_urlpatterns = [
    path("connections/", api.ConnectionsApi.as_view(), name="connections"),
    path("connections/blocks/", api.BlocksApi.as_view(), name="blocks"),
    path("connections/blocks/<str:person_id>", api.BlockApi.as_view(), name="block"),
    path("connections/<str:public_id>", api.ConnectionApi.as_view(), name="connection"),
]

urlpatterns = [
    path("", views.connections_page, name="connections-page"),
    path("act", views.connections_act, name="connections-act"),
]
