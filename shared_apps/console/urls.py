"""The platform console (platform host, platform admins only)."""

app_name = "console"
urlpatterns: list = []
