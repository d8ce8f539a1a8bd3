"""The sign-up's landing on the new institution's host (the admin sets a password)."""

app_name = "welcome"
urlpatterns: list = []
