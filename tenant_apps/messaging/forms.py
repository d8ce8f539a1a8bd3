from __future__ import annotations

import re

from django import forms


class ComposeForm(forms.Form):
    to = forms.CharField(
        label="To (ids of people u_... and groups g_..., separated by spaces or commas)",
        max_length=5000,
    )
    subject = forms.CharField(max_length=200)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 8}))

    def clean_to(self) -> list[str]:
        return [a for a in re.split(r"[\s,;]+", self.cleaned_data["to"]) if a]


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", widget=forms.Textarea(attrs={"rows": 5}))
