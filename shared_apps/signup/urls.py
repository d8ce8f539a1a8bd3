"""Institution self-service sign-up on the platform host."""

app_name = "signup"
urlpatterns: list = []
