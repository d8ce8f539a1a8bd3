from django.urls import path

from tenant_apps.authoring import api, views

urlpatterns = [
    path("<str:public_id>/editor", views.editor, name="document-editor"),
    path("<str:public_id>/write", views.write, name="document-write"),
    path("<str:public_id>/revisions/", views.revisions, name="document-revisions"),
    path("<str:public_id>/revisions/compare", views.compare, name="document-compare"),
    path("<str:public_id>/revisions/name", views.name_revision, name="document-name-revision"),
    path("<str:public_id>/revisions/<str:revision_id>", views.revision, name="document-revision"),
    path(
        "<str:public_id>/revisions/<str:revision_id>/restore",
        views.restore,
        name="document-restore",
    ),
    path("<str:public_id>/export.<str:fmt>", views.export, name="document-export"),
]

api_urlpatterns = [
    path("<str:public_id>/revisions/", api.RevisionsApi.as_view(), name="document-revisions"),
    path(
        "<str:public_id>/revisions/<str:revision_id>",
        api.RevisionApi.as_view(),
        name="document-revision",
    ),
    path(
        "<str:public_id>/revisions/<str:revision_id>/diff",
        api.RevisionDiffApi.as_view(),
        name="document-revision-diff",
    ),
    path(
        "<str:public_id>/revisions/<str:revision_id>/restore",
        api.RevisionRestoreApi.as_view(),
        name="document-revision-restore",
    ),
]
