"""Group pages (``/groups/...``) and the groups API (``/api/v1/groups/...``)."""

from django.urls import path

from tenant_apps.groups import api, views

api_urlpatterns = [
    path("groups/", api.GroupsApi.as_view(), name="groups"),
    path("groups/<str:public_id>", api.GroupApi.as_view(), name="group"),
    path("groups/<str:public_id>/members/", api.GroupMembersApi.as_view(), name="group-members"),
    path(
        "groups/<str:public_id>/members/<str:person_id>",
        api.GroupMemberApi.as_view(),
        name="group-member",
    ),
    path("groups/<str:public_id>/join", api.GroupJoinApi.as_view(), name="group-join"),
    path("groups/<str:public_id>/leave", api.GroupLeaveApi.as_view(), name="group-leave"),
    path("groups/<str:public_id>/requests/", api.GroupRequestsApi.as_view(), name="group-requests"),
    path(
        "groups/<str:public_id>/requests/<str:person_id>",
        api.GroupRequestApi.as_view(),
        name="group-request",
    ),
    path(
        "groups/<str:public_id>/invitations/",
        api.GroupInvitationsApi.as_view(),
        name="group-invitations",
    ),
    path(
        "groups/<str:public_id>/invitations/<str:person_id>",
        api.GroupInvitationApi.as_view(),
        name="group-invitation",
    ),
    path("groups/<str:public_id>/picture", api.GroupPictureApi.as_view(), name="group-picture"),
]

urlpatterns = [
    path("", views.group_list, name="group-list"),
    path("new", views.group_new, name="group-new"),
    path("people/<str:public_id>", views.person_groups, name="person-groups"),
    path("<str:public_id>", views.group_page, name="group-page"),
    path("<str:public_id>/edit", views.group_edit, name="group-edit"),
    path("<str:public_id>/members", views.group_members_page, name="group-members-page"),
    path("<str:public_id>/act", views.group_act, name="group-act"),
    path("<str:public_id>/picture", views.group_picture, name="group-picture"),
    path("<str:public_id>/picture/edit", views.group_picture_edit, name="group-picture-edit"),
]
