"""Forms of the institution-administration pages (the services do the real checking)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from config.locale import language_choices, time_zone_choices
from tenant_apps.institution.models import SearchLanguage
from tenant_apps.people.models import Visibility


class InviteForm(forms.Form):
    email = forms.CharField(label=_("E-mail address"), max_length=254)
    display_name = forms.CharField(label=_("Name"), max_length=200)
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        required=False,
        help_text=_("Optional: made from the e-mail address if left empty."),
    )
    is_admin = forms.BooleanField(label=_("Make them an admin"), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: username,email,display_name and optionally admin (yes/no)."),
    )


class InstitutionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    primary_colour = forms.CharField(
        label=_("Primary colour"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    default_visibility = forms.ChoiceField(
        label=_("Who can see a new person's profile"),
        choices=Visibility.choices,
        help_text=_("People can change it for their own profile."),
    )
    search_language = forms.ChoiceField(
        label=_("Search language"),
        choices=SearchLanguage.choices,
        required=False,  # left out: unchanged
        help_text=_(
            "How words are matched in search (stemming and stop words). "
            "Changing it rebuilds the search index in the background."
        ),
    )
    self_registration = forms.BooleanField(
        label=_("Let people register themselves at /register"),
        required=False,
        help_text=_("They choose a password through a link e-mailed to them."),
    )
    trash_days = forms.IntegerField(
        label=_("Days in the trash"),
        min_value=1,
        max_value=365,
        required=False,  # left out: unchanged
        help_text=_(
            "How long deleted items, folders and groups can be restored by their managers "
            "before they are deleted for good."
        ),
    )
    language = forms.ChoiceField(
        label=_("Default language"),
        choices=(),
        required=False,
        help_text=_(
            "For people who have not chosen one in their profile. "
            "The browser's language: whatever each person's browser asks for."
        ),
    )
    time_zone = forms.ChoiceField(
        label=_("Default time zone"),
        choices=(),
        required=False,  # left out: unchanged
        help_text=_("Dates are shown in it to people who have not chosen their own."),
    )
    registration_domains = forms.CharField(
        label=_("E-mail domains allowed to register"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, like example.edu (its subdomains too). Empty: any address."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The browser's language")), *language_choices()]
        self.fields["time_zone"].choices = time_zone_choices()
