"""Forms of the people pages."""

from __future__ import annotations

from django import forms

from tenant_apps.people.models import PROFILE_FIELDS, User, Visibility


class SigninForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ProfileForm(forms.ModelForm):
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
        ]
        labels = {
            **{f"{field}_visibility": "Who can see it" for field in PROFILE_FIELDS},
            "listed_in_directory": "List me in the people directory",
        }
        widgets = {"biography": forms.Textarea(attrs={"rows": 5})}

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError("A display name cannot be empty.")
        return name


VISIBILITY_LABELS = dict(Visibility.choices)
