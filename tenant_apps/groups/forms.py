from __future__ import annotations

from django import forms

from tenant_apps.groups.models import Group
from tenant_apps.people.models import Visibility

# The people app's labels speak of a profile ("Only me"); a group's visibility reads so.
VISIBILITY_LABELS = {
    Visibility.PUBLIC: "Everyone, also visitors who are not signed in",
    Visibility.LOGGEDIN: "Signed-in members of the institution",
    Visibility.PRIVATE: "Only the group's members (and people invited to it)",
}


class GroupForm(forms.ModelForm):
    visibility = forms.ChoiceField(
        label="Who can see the group",
        choices=list(VISIBILITY_LABELS.items()),
        initial=Visibility.LOGGEDIN,
    )

    class Meta:
        model = Group
        fields = [
            "title",
            "description",
            "visibility",
            "join_policy",
            "library_policy",
            "message_policy",
        ]
        labels = {
            "join_policy": "How people join",
            "library_policy": "Who may share into the group's library",
            "message_policy": "Who may message the whole group",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}


class GroupPictureForm(forms.Form):
    picture = forms.FileField(
        label="Picture",
        help_text="A JPEG, PNG, GIF or WebP image; it is shown as a square.",
    )
