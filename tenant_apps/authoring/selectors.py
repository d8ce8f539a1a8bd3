"""Reads of documents: revisions (keyset pages), the difference of two, exports."""

from __future__ import annotations

import difflib
import html as htmllib
import re

import nh3
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from tenant_apps.authoring.models import Revision
from tenant_apps.content.models import ContentItem


def revisions_of(item: ContentItem) -> QuerySet[Revision]:
    """An item's revisions, newest first, with what a list shows (a fixed number of queries)."""
    return (
        Revision.objects.filter(item=item)
        .select_related("created_by", "restored_from")
        .prefetch_related("authors")
        .defer("html", "text")
        .order_by("-number")
    )


def revisions_page(
    item: ContentItem, *, after: str | None, size: int
) -> tuple[list[Revision], str | None]:
    """One keyset page of ``item``'s revisions after revision ``after`` (newest first)."""
    rows = revisions_of(item)
    if after:
        anchor = Revision.objects.filter(item=item, public_id=after).values("number").first()
        if anchor is None:
            raise Http404(_("No such page."))
        rows = rows.filter(number__lt=anchor["number"])
    page = list(rows[: size + 1])
    more = len(page) > size
    page = page[:size]
    return page, (page[-1].public_id if more and page else None)


def latest_revision(item: ContentItem) -> Revision | None:
    return Revision.objects.filter(item=item).order_by("-number").first()


# --- the difference of two revisions ---------------------------------------------
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|pre|blockquote|tr|th|td)>|<br\s*/?>|<hr\s*/?>", re.I)


def _lines(html: str) -> list[str]:
    """The document as lines of plain text, one per paragraph, heading, item or cell."""
    lines = []
    for chunk in _BLOCK_END.split(html or ""):
        if chunk is None or re.fullmatch(r"p|h[1-6]|li|pre|blockquote|tr|th|td", chunk, re.I):
            continue
        text = " ".join(htmllib.unescape(nh3.clean(chunk, tags=set())).split())
        if text:
            lines.append(text)
    return lines


def _words(old: str, new: str) -> str:
    a, b = old.split(" "), new.split(" ")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(htmllib.escape(" ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(f"<del>{htmllib.escape(' '.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{htmllib.escape(' '.join(b[j1:j2]))}</ins>")
    return " ".join(out)


def revisions_diff(old: Revision, new: Revision) -> dict:
    """What changed from ``old`` to ``new``: HTML of paragraphs with <del> and <ins>
    (escaped text, safe to show), and the counts of lines added, removed and changed."""
    a, b = _lines(old.html), _lines(new.html)
    rows: list[str] = []
    added = removed = changed = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            rows.extend(f'<p class="same">{htmllib.escape(line)}</p>' for line in a[i1:i2])
        elif op == "delete":
            removed += i2 - i1
            rows.extend(f'<p class="removed"><del>{htmllib.escape(x)}</del></p>' for x in a[i1:i2])
        elif op == "insert":
            added += j2 - j1
            rows.extend(f'<p class="added"><ins>{htmllib.escape(x)}</ins></p>' for x in b[j1:j2])
        else:
            pairs = max(i2 - i1, j2 - j1)
            for k in range(pairs):
                old_line = a[i1 + k] if i1 + k < i2 else ""
                new_line = b[j1 + k] if j1 + k < j2 else ""
                changed += 1
                rows.append(f'<p class="changed">{_words(old_line, new_line)}</p>')
    return {"html": "\n".join(rows), "added": added, "removed": removed, "changed": changed}
