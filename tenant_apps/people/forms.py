"""Forms of the people pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from config.locale import language_choices, time_zone_choices
from tenant_apps.people.models import PROFILE_FIELDS, User, Visibility


class SigninForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=(),
        help_text=_("The language of these pages and of the e-mails you receive."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=(),
        help_text=_("Dates and times are shown in it."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            ("", _("The institution's default")),
            *language_choices(),
        ]
        self.fields["time_zone"].choices = [
            ("", _("The institution's time zone")),
            *time_zone_choices(),
        ]

    class Meta:
        model = User
        fields = [
            "display_name",
            "display_name_visibility",
            "department",
            "department_visibility",
            "role",
            "role_visibility",
            "biography",
            "biography_visibility",
            "listed_in_directory",
            "language",
            "time_zone",
        ]
        labels = {
            "display_name": _("Display name"),
            "department": _("Department"),
            "role": _("Role or position"),
            "biography": _("Biography"),
            **{f"{field}_visibility": _("Who can see it") for field in PROFILE_FIELDS},
            "listed_in_directory": _("List me in the people directory"),
        }
        widgets = {"biography": forms.Textarea(attrs={"rows": 5})}

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError(_("A display name cannot be empty."))
        return name


VISIBILITY_LABELS = dict(Visibility.choices)
