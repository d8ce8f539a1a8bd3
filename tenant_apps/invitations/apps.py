from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitationsConfig(AppConfig):
    name = "tenant_apps.invitations"
    label = "invitations"
    verbose_name = _("Invitations by e-mail")

    def ready(self) -> None:
        # Every way of signing in ends in django.contrib.auth.login() (passwords, LDAP,
        # OpenID Connect, SAML; a new account signs in the same way): that is where the
        # invitations waiting for the person become theirs.
        from django.contrib.auth.signals import user_logged_in

        from tenant_apps.invitations.signin import claim_on_signin

        user_logged_in.connect(claim_on_signin, dispatch_uid="invitations-claim-on-signin")
