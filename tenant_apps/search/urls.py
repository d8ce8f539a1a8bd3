from django.urls import path

from tenant_apps.search import api, views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("world/", views.world_page, name="world"),
]

api_urlpatterns = [
    path("search/", api.SearchApi.as_view(), name="search"),
    path("search/suggest", api.SuggestApi.as_view(), name="search-suggest"),
]
