"""Forms that cannot be sent while the institution is read-only are rendered disabled.

The base template wraps each page's content in ``{% filter paused_forms:paused %}``, where
``paused`` is ``tenant_read_only`` (from the ``institution`` context processor; False on
the platform host, where it is not set: a filter's missing argument would raise). On a writable
institution the filter returns the content untouched; on a read-only one every
``<form method="post">`` in it gets its fields inside a ``<fieldset disabled>`` with a short
notice, so nobody types into a form whose sending would be refused (423) - without
JavaScript. Forms that still work (sign in, sign out: the middleware's
``WRITES_ALLOWED_WHEN_READ_ONLY``) and forms marked ``data-allowed-when-read-only`` stay
as they are. GET forms (search, filters) are never touched.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

from tenants.middleware import WRITES_ALLOWED_WHEN_READ_ONLY

register = template.Library()

_POST_FORM = re.compile(r"<form\b[^>]*\bmethod\s*=\s*[\"']?post\b[^>]*>", re.IGNORECASE)
_ACTION = re.compile(r"\baction\s*=\s*\"([^\"]*)\"", re.IGNORECASE)
_FORM_END = re.compile(r"</form\s*>", re.IGNORECASE)


def _still_allowed(form_tag: str) -> bool:
    if "data-allowed-when-read-only" in form_tag:
        return True
    action = _ACTION.search(form_tag)
    return bool(action) and urlsplit(unescape(action.group(1))).path in (
        WRITES_ALLOWED_WHEN_READ_ONLY
    )


@register.filter(is_safe=True)
def paused_forms(html: str, read_only: bool) -> str:
    """``html`` with its POST forms disabled when ``read_only`` (else ``html`` itself)."""
    if not read_only:
        return html
    note = format_html(
        '<fieldset disabled class="paused"><p class="paused-note">{}</p>',
        gettext("Paused: the institution is read-only for now."),
    )
    parts: list[str] = []
    position = 0
    for start in _POST_FORM.finditer(html):
        if start.start() < position or _still_allowed(start.group(0)):
            continue
        end = _FORM_END.search(html, start.end())
        if end is None:
            break
        parts += [
            html[position : start.end()],
            note,
            html[start.end() : end.start()],
            "</fieldset>",
        ]
        position = end.start()
    parts.append(html[position:])
    # Only our own markup (format_html) is added; is_safe keeps safe content safe.
    return "".join(parts)
