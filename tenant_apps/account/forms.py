"""Forms of the account pages (labels translated: another engineer adds languages)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tenant_apps.account.models import ContentPolicy


class PasswordForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"), max_length=4096, strip=False, widget=forms.PasswordInput
    )
    new_password = forms.CharField(
        label=_("New password"), max_length=4096, strip=False, widget=forms.PasswordInput
    )


class EmailForm(forms.Form):
    email = forms.CharField(label=_("New e-mail address"), max_length=254)
    current_password = forms.CharField(
        label=_("Current password"),
        max_length=4096,
        strip=False,
        required=False,
        widget=forms.PasswordInput,
        help_text=_("Asked when your account has a password."),
    )


class TermsPublishForm(forms.Form):
    text = forms.CharField(
        label=_("Text of the new version"), max_length=100_000, widget=forms.Textarea
    )


class PrivacyForm(forms.Form):
    erasure_grace_days = forms.IntegerField(
        label=_("Days before an erasure is carried out"), min_value=0, max_value=365
    )
    content_policy = forms.ChoiceField(
        label=_("Content that only the erased person manages"), choices=ContentPolicy.choices
    )
    content_owner = forms.CharField(
        label=_("Who receives it (a person's id, u_...)"), max_length=40, required=False
    )
