"""Activity pages (``/notifications/``, ``/activity/``) and the API (``/api/v1/...``)."""

from django.urls import path

from tenant_apps.activity import api, views

api_urlpatterns = [
    path("activity/", api.ActivityFeedApi.as_view(), name="activity"),
    path("groups/<str:public_id>/activity/", api.GroupFeedApi.as_view(), name="group-activity"),
    path("content/<str:public_id>/activity/", api.ItemFeedApi.as_view(), name="item-activity"),
    path("folders/<str:public_id>/activity/", api.FolderFeedApi.as_view(), name="folder-activity"),
    path("people/<str:public_id>/activity/", api.PersonFeedApi.as_view(), name="person-activity"),
    path("notifications/", api.NotificationsApi.as_view(), name="notifications"),
    path("notifications/unread", api.UnreadApi.as_view(), name="notifications-unread"),
    path("me/preferences", api.PreferencesApi.as_view(), name="my-preferences"),
]

urlpatterns = [
    path("notifications/", views.notifications, name="notifications-page"),
    path("notifications/read", views.notifications_read, name="notifications-read"),
    path("notifications/preferences", views.preferences, name="notification-preferences"),
    path(
        "notifications/unsubscribe/<str:token>",
        views.unsubscribe_view,
        name="notifications-unsubscribe",
    ),
    path("activity/", views.feed_page, name="activity-page"),
    path("people/<str:public_id>/activity", views.person_feed_page, name="person-activity-page"),
]
