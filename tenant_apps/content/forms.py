from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tenant_apps.content.models import ShareRole
from tenant_apps.people.models import Visibility


class _ItemFields(forms.Form):
    title = forms.CharField(max_length=300, required=False)
    description = forms.CharField(max_length=10000, required=False, widget=forms.Textarea)
    tags = forms.CharField(
        max_length=1200, required=False, help_text=_("Separate tags with commas.")
    )
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.PRIVATE)


class UploadForm(_ItemFields):
    file = forms.FileField()


class LinkForm(_ItemFields):
    url = forms.CharField(label=_("Address (https://...)"), max_length=2000)


class DocumentForm(_ItemFields):
    title = forms.CharField(max_length=300)
    body = forms.CharField(
        label=_("Text"),
        max_length=500000,
        required=False,
        widget=forms.Textarea,
        help_text=_(
            "Simple HTML (paragraphs, headings, lists, links) is kept; the rest is removed."
        ),
    )


class EditForm(_ItemFields):
    title = forms.CharField(max_length=300)


class VersionForm(forms.Form):
    file = forms.FileField(label=_("New version"))


class ShareForm(forms.Form):
    # The people and groups come from the picker field "principals" (groups.picker).
    role = forms.ChoiceField(label=_("Role"), choices=ShareRole.choices, initial=ShareRole.VIEWER)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=20000, widget=forms.Textarea)
    parent = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
