from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tenant_apps.folders.models import FolderRole
from tenant_apps.people.models import Visibility


class FolderForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False, widget=forms.Textarea
    )
    visibility = forms.ChoiceField(
        label=_("Who can see the folder"), choices=Visibility.choices, initial=Visibility.PRIVATE
    )


class FolderShareForm(forms.Form):
    # The people and groups come from the picker field "principals" (groups.picker).
    role = forms.ChoiceField(label=_("Role"), choices=FolderRole.choices, initial=FolderRole.VIEWER)
