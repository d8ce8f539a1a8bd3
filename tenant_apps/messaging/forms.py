from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ComposeForm(forms.Form):
    # Filled from the picker field "to" by the view (names or picked ids, groups.picker).
    to = forms.CharField(label=_("To"), max_length=5000, required=False)
    subject = forms.CharField(max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}))
