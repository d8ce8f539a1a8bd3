"""The sign-up's landing on the new institution's host (the admin sets a password)."""

from django.urls import path

from shared_apps.signup.views import WelcomeView

app_name = "welcome"
urlpatterns = [
    path("<str:uidb64>/<str:token>/", WelcomeView.as_view(), name="set-password"),
]
