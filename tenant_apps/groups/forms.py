from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tenant_apps.groups.models import Audience, Group
from tenant_apps.people.models import Visibility

# The people app's labels speak of a profile ("Only me"); a group's visibility reads so.
VISIBILITY_LABELS = {
    Visibility.PUBLIC: _("Everyone, also visitors who are not signed in"),
    Visibility.LOGGEDIN: _("Signed-in members of the institution"),
    Visibility.PRIVATE: _("Only the group's members (and people invited to it)"),
}


AUDIENCE_FIELDS = ("library_policy", "message_policy")


class GroupForm(forms.ModelForm):
    visibility = forms.ChoiceField(
        label=_("Who can see the group"),
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
            "join_policy": _("How people join"),
            "library_policy": _("Who may share into the group's library"),
            "message_policy": _("Who may message the whole group"),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in AUDIENCE_FIELDS:  # a form without them keeps the group's (or the default)
            self.fields[name].required = False

    def _audience(self, name: str) -> str:
        return self.cleaned_data.get(name) or getattr(self.instance, name) or Audience.MEMBERS

    def clean_library_policy(self) -> str:
        return self._audience("library_policy")

    def clean_message_policy(self) -> str:
        return self._audience("message_policy")


class GroupPictureForm(forms.Form):
    picture = forms.FileField(
        label=_("Picture"),
        help_text=_("A JPEG, PNG, GIF or WebP image; it is shown as a square."),
    )
