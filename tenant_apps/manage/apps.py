from django.apps import AppConfig


class ManageConfig(AppConfig):
    """The institution's own administration (/manage/ and /api/v1/admin/): the top layer,
    wiring the admin pages and endpoints of people, sign-in methods, the logo and the
    audit trail; the rules and writes stay in those apps."""

    name = "tenant_apps.manage"
    label = "manage"
    verbose_name = "Institution administration"
