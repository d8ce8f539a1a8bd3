"""The search page's form, and the filters both the page and the API resolve the same way."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tenant_apps.groups.selectors import groups_visible_to
from tenant_apps.people.selectors import people_visible_to
from tenant_apps.search.selectors import TYPES, Filters


@dataclass
class SearchParams:
    filters: Filters
    offset: int = 0
    limit: int = 20


def resolve_filters(viewer, data: dict) -> SearchParams:
    """Filters from validated input; ids the viewer may not see are refused like unknown ones."""
    filters = Filters(
        kind=data.get("kind") or "",
        tag=(data.get("tag") or "").strip().lower(),
        after=data.get("after"),
        before=data.get("before"),
    )
    if data.get("owner"):
        filters.owner = people_visible_to(viewer).filter(public_id=data["owner"]).first()
        if filters.owner is None:
            raise ValidationError({"owner": [_("No such person.")]})
    if data.get("group"):
        filters.group = groups_visible_to(viewer).filter(public_id=data["group"]).first()
        if filters.group is None:
            raise ValidationError({"group": [_("No such group.")]})
    if filters.after and filters.before and filters.after > filters.before:
        raise ValidationError({"before": [_("The end date is before the start date.")]})
    return SearchParams(
        filters=filters, offset=data.get("offset") or 0, limit=data.get("limit") or 20
    )


_DATE = forms.DateInput(attrs={"type": "date"})
TYPE_LABELS = {
    "all": _("All"),
    "content": _("Content"),
    "people": _("People"),
    "groups": _("Groups"),
    "discussions": _("Discussions"),
    "folders": _("Folders"),
    "messages": _("Messages"),
}


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=1000, required=False, strip=False)
    type = forms.ChoiceField(
        label=_("Show"),
        choices=[(t, TYPE_LABELS.get(t, t.capitalize())) for t in TYPES],
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            ("", _("Any")),
            ("file", _("Files")),
            ("link", _("Links")),
            ("document", _("Documents")),
        ],
        required=False,
    )
    tag = forms.CharField(label=_("Tag"), max_length=50, required=False)
    owner = forms.CharField(label=_("Owner"), max_length=40, required=False)
    group = forms.CharField(label=_("Group"), max_length=40, required=False)
    after = forms.DateField(label=_("From"), required=False, widget=_DATE)
    before = forms.DateField(label=_("To"), required=False, widget=_DATE)
    offset = forms.IntegerField(min_value=0, max_value=1000, required=False)

    def clean_type(self) -> str:
        return self.cleaned_data.get("type") or "all"
