"""Discussion pages (``/discussions/...``) and the API (``/api/v1/discussions/...``)."""

from django.urls import path

from tenant_apps.discussions import api, views

api_urlpatterns = [
    path("discussions/", api.DiscussionsApi.as_view(), name="discussions"),
    path("discussions/<str:public_id>", api.DiscussionApi.as_view(), name="discussion"),
    path(
        "discussions/<str:public_id>/replies/",
        api.RepliesApi.as_view(),
        name="discussion-replies",
    ),
    path(
        "discussions/<str:public_id>/follow",
        api.FollowApi.as_view(),
        name="discussion-follow",
    ),
    path(
        "discussions/<str:public_id>/members/",
        api.MembersApi.as_view(),
        name="discussion-members",
    ),
    path(
        "discussions/<str:public_id>/members/<str:person_id>",
        api.MemberApi.as_view(),
        name="discussion-member",
    ),
]

urlpatterns = [
    path("", views.discussion_list_page, name="discussion-list"),
    path("new", views.discussion_new, name="discussion-new"),
    path("<str:public_id>", views.discussion_view, name="discussion-page"),
    path("<str:public_id>/edit", views.discussion_edit, name="discussion-edit"),
    path("<str:public_id>/act", views.discussion_act, name="discussion-act"),
]
