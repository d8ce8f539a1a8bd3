"""Following a site's own links, as a person clicking around would (GET only)."""

from __future__ import annotations

import re

from django.test import Client


def crawl(client: Client, start: list[str], limit: int = 60) -> dict[str, str]:
    """Every same-host page reachable from ``start`` (up to ``limit``): path -> body."""
    seen: dict[str, str] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        body = client.get(path).content.decode(errors="replace")
        seen[path] = body
        for link in re.findall(r'href="(/[^"#]*)"', body):
            link = link.replace("&amp;", "&")
            if link not in seen and not link.startswith(("/static/", "/api/docs")):
                queue.append(link)
    return seen
