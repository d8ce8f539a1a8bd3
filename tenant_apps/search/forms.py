"""The search page's form, and the filters both the page and the API resolve the same way."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError

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
            raise ValidationError({"owner": ["No such person."]})
    if data.get("group"):
        filters.group = groups_visible_to(viewer).filter(public_id=data["group"]).first()
        if filters.group is None:
            raise ValidationError({"group": ["No such group."]})
    if filters.after and filters.before and filters.after > filters.before:
        raise ValidationError({"before": ["The end date is before the start date."]})
    return SearchParams(
        filters=filters, offset=data.get("offset") or 0, limit=data.get("limit") or 20
    )


_DATE = forms.DateInput(attrs={"type": "date"})


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=1000, required=False, strip=False)
    type = forms.ChoiceField(
        label="Show",
        choices=[(t, t.capitalize()) for t in TYPES],
        required=False,
    )
    kind = forms.ChoiceField(
        label="Kind",
        choices=[("", "Any"), ("file", "Files"), ("link", "Links"), ("document", "Documents")],
        required=False,
    )
    tag = forms.CharField(label="Tag", max_length=50, required=False)
    owner = forms.CharField(label="Owner", max_length=40, required=False)
    group = forms.CharField(label="Group", max_length=40, required=False)
    after = forms.DateField(label="From", required=False, widget=_DATE)
    before = forms.DateField(label="To", required=False, widget=_DATE)
    offset = forms.IntegerField(min_value=0, max_value=1000, required=False)

    def clean_type(self) -> str:
        return self.cleaned_data.get("type") or "all"
