from __future__ import annotations

from django import forms

from tenant_apps.groups.models import Group


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["title", "description", "visibility", "join_policy"]
        labels = {"visibility": "Who can see the group", "join_policy": "How people join"}
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}
