from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tenant_apps.people.models import Visibility


class DiscussionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("What would you like to discuss?"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=50_000,
    )
    visibility = forms.ChoiceField(
        label=_("Who may see it"), choices=Visibility.choices, initial=Visibility.LOGGEDIN
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}), max_length=50_000
    )
    parent = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
