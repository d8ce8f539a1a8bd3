"""What apps above groups add to a group, so that groups never import them.

An app registers in its ``AppConfig.ready()``:

- a *section* of the group's page: ``section(request, group) -> dict``, merged into the
  page's template context (the content library adds ``library``, the newest items);
- an *action* of the group's action form (``POST /groups/<id>/act``, field ``action``):
  ``action(request, group) -> HttpResponse`` (the content library adds ``share-item``).
  A service's ValidationError or PermissionDenied is shown like the group's own actions'.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tenant_apps.groups.models import Group

Section = Callable[[HttpRequest, Group], dict]
Action = Callable[[HttpRequest, Group], HttpResponse]

_sections: list[Section] = []
_actions: dict[str, Action] = {}


def group_section_register(section: Section) -> Section:
    if section not in _sections:
        _sections.append(section)
    return section


def group_action_register(name: str, action: Action) -> None:
    _actions[name] = action


def group_sections(request: HttpRequest, group: Group) -> dict:
    """The context every registered section adds to ``group``'s page."""
    context: dict = {}
    for section in _sections:
        context.update(section(request, group))
    return context


def group_action(name: str) -> Action | None:
    return _actions.get(name)
