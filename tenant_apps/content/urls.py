from django.urls import path

from tenant_apps.content import api, views

urlpatterns = [
    path("", views.library, name="content-library"),
    path("shared", views.shared_with_me, name="content-shared"),
    path("new", views.new_item, name="content-new"),
    path("people/<str:public_id>", views.person_library, name="person-library"),
    path("<str:public_id>", views.item_page, name="content-item"),
    path("<str:public_id>/download", views.download, name="content-item-download"),
    path("<str:public_id>/preview", views.preview, name="content-item-preview"),
    path("<str:public_id>/pages/<int:number>", views.preview_page, name="content-item-page"),
    path("<str:public_id>/link-image", views.link_image, name="content-item-link-image"),
    path("<str:public_id>/edit", views.edit, name="content-edit"),
    path("<str:public_id>/delete", views.delete, name="content-delete"),
    path("<str:public_id>/versions", views.add_version, name="content-add-version"),
    path(
        "<str:public_id>/versions/<str:version_id>/restore",
        views.restore_version,
        name="content-restore-version",
    ),
    path("<str:public_id>/share", views.share, name="content-share"),
    path("<str:public_id>/unshare", views.unshare, name="content-unshare"),
    path("<str:public_id>/comments", views.comment, name="content-comment"),
    path(
        "<str:public_id>/comments/<str:comment_id>/edit",
        views.comment_edit,
        name="content-comment-edit",
    ),
    path(
        "<str:public_id>/comments/<str:comment_id>/delete",
        views.comment_delete,
        name="content-comment-delete",
    ),
]

api_urlpatterns = [
    path("", api.ContentListApi.as_view(), name="content"),
    path("<str:public_id>", api.ContentApi.as_view(), name="content-item"),
    path("<str:public_id>/download", api.ContentDownloadApi.as_view(), name="content-download"),
    path("<str:public_id>/preview", api.ContentPreviewApi.as_view(), name="content-preview"),
    path("<str:public_id>/pages/", api.ContentPagesApi.as_view(), name="content-pages"),
    path("<str:public_id>/pages/<int:number>", api.ContentPageApi.as_view(), name="content-page"),
    path(
        "<str:public_id>/link-image", api.ContentLinkImageApi.as_view(), name="content-link-image"
    ),
    path("<str:public_id>/versions/", api.ContentVersionsApi.as_view(), name="content-versions"),
    path(
        "<str:public_id>/versions/<str:version_id>/restore",
        api.ContentVersionRestoreApi.as_view(),
        name="content-version-restore",
    ),
    path("<str:public_id>/shares/", api.ContentSharesApi.as_view(), name="content-shares"),
    path("<str:public_id>/comments/", api.ContentCommentsApi.as_view(), name="content-comments"),
    path(
        "<str:public_id>/comments/<str:comment_id>",
        api.ContentCommentApi.as_view(),
        name="content-comment",
    ),
]

# A group's library belongs to the content library; its addresses stay under /groups/.
group_urlpatterns = [
    path("<str:public_id>/library", views.group_library_page, name="group-library"),
]
group_api_urlpatterns = [
    path("groups/<str:public_id>/content/", api.GroupContentApi.as_view(), name="group-content"),
]
