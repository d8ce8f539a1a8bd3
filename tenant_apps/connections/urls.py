"""Connection pages (``/connections/``) and the API (``/api/v1/connections/...``)."""

from django.urls import path

from tenant_apps.connections import api, views

api_urlpatterns = [
    path("connections/", api.ConnectionsApi.as_view(), name="connections"),
    path("connections/blocks/", api.BlocksApi.as_view(), name="blocks"),
    path("connections/blocks/<str:person_id>", api.BlockApi.as_view(), name="block"),
    path("connections/<str:public_id>", api.ConnectionApi.as_view(), name="connection"),
    path("people/<str:public_id>/follow", api.FollowApi.as_view(), name="person-follow"),
    path(
        "people/<str:public_id>/followers/",
        api.PersonFollowersApi.as_view(),
        name="person-followers",
    ),
    path(
        "people/<str:public_id>/following/",
        api.PersonFollowingApi.as_view(),
        name="person-following",
    ),
    path("me/following/", api.MyFollowingApi.as_view(), name="my-following"),
    path("me/followers/", api.MyFollowersApi.as_view(), name="my-followers"),
    path("me/following-settings", api.FollowSettingsApi.as_view(), name="my-following-settings"),
]

urlpatterns = [
    path("", views.connections_page, name="connections-page"),
    path("act", views.connections_act, name="connections-act"),
    path("following", views.following_settings, name="following-settings"),
]

# Under /people/: a person's connections (a profile tab), followers, the people they
# follow, following them.
person_urlpatterns = [
    path(
        "<str:public_id>/connections",
        views.person_connections_page,
        name="person-connections",
    ),
    path("<str:public_id>/followers", views.followers_page, name="followers-page"),
    path("<str:public_id>/following", views.following_page, name="following-page"),
    path("<str:public_id>/follow", views.follow_act, name="follow-act"),
]
