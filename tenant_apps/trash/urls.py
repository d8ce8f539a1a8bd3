from django.urls import path

from tenant_apps.trash import api, views

urlpatterns = [
    path("", views.trash, name="trash"),
    path("<str:public_id>/restore", views.restore, name="trash-restore"),
    path("delete/<str:public_id>", views.delete, name="trash-delete"),
]

api_urlpatterns = [
    path("trash/", api.TrashApi.as_view(), name="trash"),
    path("trash/<str:public_id>/restore", api.TrashRestoreApi.as_view(), name="trash-restore"),
]
