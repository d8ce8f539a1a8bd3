from django.urls import path

from tenant_apps.folders import api, views

urlpatterns = [
    path("", views.my_folders, name="folders"),
    path("new", views.new_folder, name="folder-new"),
    path("<str:public_id>", views.folder_page, name="folder"),
    path("<str:public_id>/edit", views.edit, name="folder-edit"),
    path("<str:public_id>/items", views.items, name="folder-items"),
    path("<str:public_id>/share", views.share, name="folder-share"),
    path("<str:public_id>/unshare", views.unshare, name="folder-unshare"),
]

api_urlpatterns = [
    path("folders/", api.FoldersApi.as_view(), name="folders"),
    path("folders/<str:public_id>", api.FolderApi.as_view(), name="folder"),
    path("folders/<str:public_id>/items/", api.FolderItemsApi.as_view(), name="folder-items"),
    path("folders/<str:public_id>/members/", api.FolderMembersApi.as_view(), name="folder-members"),
    path("groups/<str:public_id>/folders/", api.GroupFoldersApi.as_view(), name="group-folders"),
]
