"""The confirmation step before a destructive action that one click would otherwise do
(blocking a person, removing a connection, deleting a thread): the first POST, without
``confirmed``, renders a page that repeats it with ``confirmed=1``; only that second POST
acts. Works without JavaScript; nothing changes until the person confirms."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from config.redirects import local_target


def is_confirmed(request: HttpRequest) -> bool:
    """Whether this POST is the confirmation (the second step)."""
    return request.POST.get("confirmed") == "1"


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` the form sent when it is on this host, else ``fallback``."""
    return local_target(request, request.POST.get("next"), fallback)


def confirm_page(
    request: HttpRequest,
    *,
    title: str,
    explanation: str,
    button: str,
    fields: Iterable[tuple[str, str]],
    cancel: str,
) -> HttpResponse:
    """The page asking to confirm: the same form action (this request's path) with
    ``fields`` as hidden inputs, a danger button and a Cancel link to ``cancel``."""
    return render(
        request,
        "institution/confirm.html",
        {
            "confirm": {
                "title": title,
                "explanation": explanation,
                "button": button,
                "fields": list(fields),
                "action": request.path,
                "cancel": cancel,
            }
        },
    )
