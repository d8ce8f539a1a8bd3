"""Message pages (``/messages/...``) and the API (``/api/v1/messages/...``)."""

from django.urls import path

from tenant_apps.messaging import api, views

api_urlpatterns = [
    path("messages/", api.ThreadsApi.as_view(), name="threads"),
    path("messages/unread", api.UnreadApi.as_view(), name="messages-unread"),
    path("messages/<str:public_id>", api.ThreadApi.as_view(), name="thread"),
    path(
        "messages/<str:public_id>/messages/",
        api.ThreadMessagesApi.as_view(),
        name="thread-messages",
    ),
]

urlpatterns = [
    path("", views.folder_page, name="messages-folder"),
    path("new", views.compose, name="messages-compose"),
    path("<str:public_id>", views.thread_page_view, name="messages-thread"),
    path("<str:public_id>/act", views.thread_act, name="messages-act"),
]
