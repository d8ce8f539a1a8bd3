"""The people and group picker: suggestions for a typed name, and typed names turned into
people and groups - only those the viewer may see, shown by name and picture only (never a
username or an e-mail).

Used wherever a person or a group is asked for (sharing, messages, group invitations and
members). With JavaScript, suggestions arrive as the name is typed (htmx, GET
/picker/suggestions) and a click picks one (its opaque id travels in the form). Without it,
the typed names are resolved here when the form is sent: a name that fits one person or
group is taken, a name that fits several comes back as a choice, and an unknown one is an
error on the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from config.db.prepared import planned_for_values
from tenant_apps.groups.models import Group
from tenant_apps.groups.selectors import groups_visible_to
from tenant_apps.people.models import User
from tenant_apps.people.selectors import people_directory

PERSON, GROUP = "person", "group"
KINDS = (PERSON, GROUP)
SUGGESTIONS = 8
MIN_QUERY = 1
MAX_QUERY = 100
_ID = re.compile(r"^[ug]_[A-Za-z0-9]{4,40}$")


@dataclass(frozen=True)
class Suggestion:
    id: str
    kind: str
    name: str
    picture: str | None


class PickerError(ValidationError):
    """A typed name fitting no one, or several: ``choices`` maps each ambiguous name to its
    suggestions, so the form can offer them."""

    def __init__(self, messages: list[str], choices: dict[str, list[Suggestion]]):
        super().__init__(messages)
        self.choices = choices


def _person(person: User) -> Suggestion:
    picture = None
    if person.picture_sha256:
        picture = (
            reverse("person-picture", args=[person.public_id]) + f"?v={person.picture_sha256[:16]}"
        )
    return Suggestion(person.public_id, PERSON, person.display_name, picture)


def _group(group: Group) -> Suggestion:
    picture = None
    if group.picture_id:
        picture = reverse("group-picture", args=[group.public_id]) + f"?v={group.picture_id}"
    return Suggestion(group.public_id, GROUP, group.title, picture)


def _people(viewer: User, query: str):
    # The directory's rule: listed people, by names the viewer may see. Not oneself.
    return (
        people_directory(viewer=viewer, query=query)
        .exclude(pk=viewer.pk)
        .order_by("display_name", "id")
    )


def _groups(viewer: User, query: str):
    # Planned for its words like the directory's search (config.db.prepared).
    return (
        planned_for_values(groups_visible_to(viewer).filter(title__icontains=query))
        .only("public_id", "title", "picture_id")
        .order_by("title", "id")
    )


def picker_suggestions(
    *, viewer: User, query: str, kinds: tuple[str, ...] = KINDS, limit: int = SUGGESTIONS
) -> list[Suggestion]:
    """Up to ``limit`` people and groups whose visible name contains ``query``: names that
    start with it first. One query per kind."""
    query = (query or "").strip()[:MAX_QUERY]
    if len(query) < MIN_QUERY:
        return []
    found: list[Suggestion] = []
    if PERSON in kinds:
        found += [_person(p) for p in _people(viewer, query)[:limit]]
    if GROUP in kinds:
        found += [_group(g) for g in _groups(viewer, query)[:limit]]
    lowered = query.lower()
    found.sort(key=lambda s: (not s.name.lower().startswith(lowered), s.name.lower(), s.id))
    return found[:limit]


def split_names(typed: str) -> list[str]:
    """ "Bob Baker, Biology club" -> ["Bob Baker", "Biology club"] (commas, semicolons, lines)."""
    return [part.strip() for part in re.split(r"[,;\n]+", typed or "") if part.strip()]


def picker_resolve(
    *, viewer: User, typed: str = "", picked: list[str] = (), kinds: tuple[str, ...] = KINDS
) -> list[str]:
    """The ids of a picker field: ``picked`` ids (from suggestions) and ``typed`` names
    (comma-separated; an id typed as such is taken as it is), in order, without repeats.

    Names are looked up among the people and groups the viewer may see. PickerError (a
    ValidationError) names every name that fits no one or several, with the suggestions to
    choose from. Ids are passed on unchecked: the service that receives them applies its own
    rule (and answers an id the viewer may not see like an unknown one).
    """
    terms = [value.strip() for value in picked if value and value.strip()]
    terms += split_names(typed)
    if len(terms) > 100:
        raise PickerError([_("Choose at most 100 people and groups at once.")], {})
    errors: list[str] = []
    choices: dict[str, list[Suggestion]] = {}
    ids: list[str] = []
    if set(kinds) == {PERSON}:
        nobody = _("No person called “%(name)s”.")
    elif set(kinds) == {GROUP}:
        nobody = _("No group called “%(name)s”.")
    else:
        nobody = _("No person or group called “%(name)s”.")
    for term in terms:
        if _ID.match(term):
            ids.append(term)
            continue
        found = _exact(viewer, term, kinds)
        if len(found) != 1:
            found = found or _fuzzy(viewer, term, kinds)
        if len(found) == 1:
            ids.append(found[0].public_id)
        elif not found:
            errors.append(nobody % {"name": term[:100]})
        else:
            errors.append(_("Several match “%(name)s”: choose one below.") % {"name": term[:100]})
            choices[term] = [_person(p) if isinstance(p, User) else _group(p) for p in found]
    if errors:
        raise PickerError(errors, choices)
    return list(dict.fromkeys(ids))


def picker_describe(*, viewer: User, ids: list[str]) -> list[Suggestion]:
    """Suggestions for ids already picked (to show them again when a form comes back with
    an error): only those the viewer may see; two queries at most."""
    people = [i for i in ids if i.startswith("u_")]
    groups = [i for i in ids if i.startswith("g_")]
    known: dict[str, Suggestion] = {}
    if people:
        for person in _people(viewer, "").filter(public_id__in=people[:100]):
            known[person.public_id] = _person(person)
    if groups:
        for group in _groups(viewer, "").filter(public_id__in=groups[:100]):
            known[group.public_id] = _group(group)
    return [known[i] for i in ids if i in known]


def _exact(viewer: User, name: str, kinds: tuple[str, ...]) -> list[User | Group]:
    found: list[User | Group] = []
    if PERSON in kinds:
        found += list(_people(viewer, "").filter(display_name__iexact=name)[:SUGGESTIONS])
    if GROUP in kinds:
        found += list(_groups(viewer, "").filter(title__iexact=name)[:SUGGESTIONS])
    return found


def _fuzzy(viewer: User, name: str, kinds: tuple[str, ...]) -> list[User | Group]:
    found: list[User | Group] = []
    if PERSON in kinds:
        found += list(_people(viewer, name)[:SUGGESTIONS])
    if GROUP in kinds:
        found += list(_groups(viewer, name)[:SUGGESTIONS])
    return found
