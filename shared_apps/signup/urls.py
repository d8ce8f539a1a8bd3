"""Institution self-service sign-up on the platform host."""

from django.urls import path

from shared_apps.signup.views import signup_confirm_page, signup_form

app_name = "signup"
urlpatterns = [
    path("", signup_form, name="form"),
    path("confirm/<str:token>", signup_confirm_page, name="confirm"),
]
