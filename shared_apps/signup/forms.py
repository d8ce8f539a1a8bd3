"""The sign-up form: the same field rules as ``signup_request`` (which checks again)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from shared_apps.signup.services import (
    signup_clean_email,
    signup_clean_person_name,
    signup_clean_slug,
)
from tenants.services import _clean_name


class SignupForm(forms.Form):
    name = forms.CharField(
        label=_("Institution name"),
        max_length=200,
        error_messages={"required": _("The institution needs a name.")},
        help_text=_("As people will see it, for example “University of Gamma”."),
    )
    slug = forms.CharField(
        label=_("Subdomain"),
        max_length=63,
        error_messages={"required": _("Choose a subdomain.")},
        widget=forms.TextInput(
            attrs={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"}
        ),
    )
    admin_name = forms.CharField(
        label=_("Your name"), max_length=200, error_messages={"required": _("Tell us your name.")}
    )
    admin_email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        error_messages={
            "required": _("We need your e-mail address to send you the confirmation link."),
            "invalid": _("Enter an e-mail address like name@university.edu."),
        },
        help_text=(
            _(
                "We send a confirmation link here. You will be the institution's first "
                "administrator."
            )
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Help texts are rendered as HTML (Django's password help is a list).
        domain = escape(settings.PLATFORM_DOMAIN)
        self.fields["slug"].help_text = _(
            "Your institution's address: <code>subdomain.%(domain)s</code>. Use 1 to 40 "
            "lower-case letters, digits and hyphens, starting and ending with a letter or digit."
        ) % {"domain": domain}

    def clean_name(self) -> str:
        return _clean_name(self.cleaned_data["name"])

    def clean_slug(self) -> str:
        return signup_clean_slug(self.cleaned_data["slug"])

    def clean_admin_name(self) -> str:
        return signup_clean_person_name(self.cleaned_data["admin_name"])

    def clean_admin_email(self) -> str:
        return signup_clean_email(self.cleaned_data["admin_email"])
