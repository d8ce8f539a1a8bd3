"""The platform API, /api/v1/platform/ (platform host, platform admins only)."""

app_name = "platform_api"
urlpatterns: list = []
