"""What apps above people add to a person's page, so that people never imports them.

An app registers a *section* in its ``AppConfig.ready()``:
``section(viewer, person) -> dict``, merged into the page's template context
(connections adds ``panel``: the status between the viewer and the person, and their
mutual connections).
"""

from __future__ import annotations

from collections.abc import Callable

from tenant_apps.people.models import User

Section = Callable[[object, User], dict]

_sections: list[Section] = []


def person_section_register(section: Section) -> Section:
    if section not in _sections:
        _sections.append(section)
    return section


def person_sections(viewer, person: User) -> dict:
    """The context every registered section adds to ``person``'s page."""
    context: dict = {}
    for section in _sections:
        context.update(section(viewer, person))
    return context
