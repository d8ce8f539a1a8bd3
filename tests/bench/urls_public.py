"""The platform host's URLs plus /bench/plain: a plain Django JSON view touching nothing."""

from django.http import JsonResponse
from django.urls import path

from config.urls_public import urlpatterns as public_urlpatterns


def plain(request):
    return JsonResponse({"name": "Demo University", "slug": "demo", "primary_colour": "#1f4e8c"})


urlpatterns = [*public_urlpatterns, path("bench/plain", plain)]
