"""Writes of documents written together: the CRDT log, revisions, written and restored text.

The live process (consumers.py) appends editors' updates with ``document_append`` and
takes automatic revisions with ``revision_take``; the API and the no-JavaScript form
write a revision with ``revision_write`` (optimistic concurrency on the latest revision)
and restore one with ``revision_restore``. A written or restored text becomes a Yjs
update appended to the same log and published to the document's live rooms, so anyone
editing sees it at once.
"""

from __future__ import annotations

import html as htmllib

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from config.errors import DomainError
from config.live import document_channel_group, publish
from tenant_apps.activity.services import activity_record
from tenant_apps.authoring import ydoc
from tenant_apps.authoring.models import DocumentState, DocumentUpdate, Revision, RevisionKind
from tenant_apps.content.models import ContentItem, Kind
from tenant_apps.content.permissions import can_edit
from tenant_apps.content.services import NotAllowed, sanitise_document
from tenant_apps.people.models import User


class RevisionConflict(DomainError):
    """A write based on a revision that is no longer the latest: never a silent overwrite."""

    status = 409
    slug = "stale-revision"
    detail = gettext_lazy(
        "The document has changed since the revision this text was based on. "
        "Both versions are included; merge them and write again on the latest."
    )

    def __init__(self, *, base: Revision | None, current: Revision | None) -> None:
        self.base = base
        self.current = current
        self.extra = {"base": revision_brief(base), "current": revision_brief(current)}
        super().__init__()


class DocumentTooLarge(DomainError):
    status = 413
    slug = "document-too-large"
    detail = gettext_lazy("The document is larger than this institution allows.")


def revision_brief(revision: Revision | None) -> dict | None:
    if revision is None:
        return None
    return {
        "id": revision.public_id,
        "number": revision.number,
        "html": revision.html,
        "created": revision.created.isoformat() if revision.created else None,
    }


def html_text(html: str) -> str:
    """The plain text of a document's HTML (what search indexes and feeds summarise)."""
    spaced = html.replace("<", " <")
    return " ".join(htmllib.unescape(nh3.clean(spaced, tags=set())).split())


def _publish_update(item_id: int, update: bytes) -> None:
    schema = connection.schema_name
    transaction.on_commit(
        lambda: publish(
            [document_channel_group(schema, item_id)],
            {"type": "doc.update", "update": update, "origin": "server"},
        ),
        robust=True,
    )


def _publish_revision(item_id: int, revision: Revision) -> None:
    schema = connection.schema_name
    message = {"type": "doc.revision", "id": revision.public_id, "number": revision.number}
    transaction.on_commit(
        lambda: publish([document_channel_group(schema, item_id)], message), robust=True
    )


# --- the CRDT log ---------------------------------------------------------------
def _lock_item(item_id: int) -> None:
    """Lock the item's row before the document's: the same order as deleting the item
    (which takes the item, then its state by cascade), so the two never deadlock."""
    if not (
        ContentItem.objects.select_for_update(no_key=True)
        .filter(pk=item_id)
        .values_list("pk", flat=True)
        .first()
    ):
        raise Http404(gettext("No such document."))


def _state_locked(item: ContentItem) -> DocumentState:
    """The document's state row, locked; made on first use from the item's HTML
    (a document written before co-editing, or created with a body), which becomes
    revision 1."""
    _lock_item(item.pk)
    state = DocumentState.objects.select_for_update().filter(item_id=item.pk).first()
    if state is not None:
        return state
    doc = ydoc.load(None)
    initial = sanitise_document(item.body_html or "")
    snapshot = ydoc.replace_with_html(doc, initial) if initial.strip() else b""
    DocumentState.objects.bulk_create(
        [DocumentState(item_id=item.pk, snapshot=snapshot, size=len(snapshot))],
        ignore_conflicts=True,
    )
    state = DocumentState.objects.select_for_update().get(item_id=item.pk)
    if initial.strip() and not Revision.objects.filter(item_id=item.pk).exists():
        html = sanitise_document(ydoc.fragment_html(doc))
        revision = Revision.objects.create(
            item_id=item.pk,
            number=1,
            kind=RevisionKind.WRITTEN,
            html=html,
            text=html_text(html),
            created_by_id=item.created_by_id,
        )
        if item.created_by_id:
            revision.authors.add(item.created_by_id)
    return state


def document_load(item: ContentItem):
    """The document's current Yjs state (a pycrdt Doc): the snapshot and every update since."""
    with transaction.atomic():
        state = _state_locked(item)
        updates = list(
            DocumentUpdate.objects.filter(item_id=item.pk)
            .order_by("id")
            .values_list("data", flat=True)
        )
    return ydoc.load(bytes(state.snapshot), *(bytes(u) for u in updates)), state


def document_open(*, item_id: int) -> tuple[bytes, int]:
    """For a live room: the whole state as one Yjs update, and its size in bytes."""
    item = ContentItem.objects.get(pk=item_id)
    doc, _state = document_load(item)
    update = doc.get_update()
    return update, len(update)


@transaction.atomic
def document_append(*, item_id: int, updates: list[tuple[int | None, bytes]]) -> int:
    """Append editors' updates ``[(author id, update)]`` to the log, in one transaction.

    Returns the number of updates waiting for compaction. When this returns, the
    updates are committed: the live process acknowledges them only then.
    """
    _lock_item(item_id)
    state = DocumentState.objects.select_for_update().get(item_id=item_id)
    DocumentUpdate.objects.bulk_create(
        [DocumentUpdate(item_id=item_id, author_id=author, data=data) for author, data in updates]
    )
    authors = list(state.authors)
    for author, _ in updates:
        if author is not None and author not in authors:
            authors.append(author)
    state.authors = authors
    state.changed = True
    state.pending_updates += len(updates)
    state.size += sum(len(data) for _, data in updates)
    state.last_change = timezone.now()
    state.save()
    return state.pending_updates


@transaction.atomic
def document_compact(*, item_id: int) -> int:
    """Fold the appended updates into the snapshot (deleted text garbage-collected).

    Only the rows read are deleted: an update committed meanwhile stays in the log and
    is applied again on load (harmless). Returns the new snapshot's size.
    """
    _lock_item(item_id)
    state = DocumentState.objects.select_for_update().get(item_id=item_id)
    rows = list(
        DocumentUpdate.objects.filter(item_id=item_id).order_by("id").values_list("id", "data")
    )
    if not rows:
        return len(state.snapshot)
    doc = ydoc.load(bytes(state.snapshot), *(bytes(data) for _, data in rows))
    snapshot = doc.get_update()
    DocumentUpdate.objects.filter(id__in=[pk for pk, _ in rows]).delete()
    state.snapshot = snapshot
    state.pending_updates = 0
    state.size = len(snapshot)
    state.save(update_fields=["snapshot", "pending_updates", "size"])
    return len(snapshot)


# --- revisions --------------------------------------------------------------------
def _next_number(item_id: int) -> int:
    return (Revision.objects.filter(item_id=item_id).aggregate(n=Max("number"))["n"] or 0) + 1


def _latest(item_id: int) -> Revision | None:
    return Revision.objects.filter(item_id=item_id).order_by("-number").first()


def _record(
    *,
    item: ContentItem,
    html: str,
    kind: str,
    authors: list[int],
    created_by: User | None,
    name: str = "",
    restored_from: Revision | None = None,
) -> Revision:
    revision = Revision.objects.create(
        item_id=item.pk,
        number=_next_number(item.pk),
        kind=kind,
        name=name,
        html=html,
        text=html_text(html),
        created_by=created_by,
        restored_from=restored_from,
    )
    if authors:
        revision.authors.add(*authors)
    ContentItem.objects.filter(pk=item.pk).update(body_html=html, modified=timezone.now())
    item.body_html = html
    people = {u.pk: u for u in User.objects.filter(pk__in=authors)}
    for author_id in authors:  # "Alice and Bob edited Lab report", aggregated when read
        if author_id in people:
            activity_record(actor=people[author_id], verb="content.edited", item=item)
    _publish_revision(item.pk, revision)
    return revision


def _take_locked(
    item: ContentItem, state: DocumentState, *, actor: User | None, name: str = ""
) -> Revision | None:
    if not state.changed and not name:
        return None
    doc, _ = document_load(item)
    html = sanitise_document(ydoc.fragment_html(doc))
    latest = _latest(item.pk)
    authors = list(state.authors)
    state.changed = False
    state.authors = []
    state.save(update_fields=["changed", "authors"])
    if not name and latest is not None and latest.html == html:
        return None  # typed and undone: nothing to keep
    if actor is not None and actor.pk not in authors and name:
        authors = authors or [actor.pk]
    return _record(
        item=item,
        html=html,
        kind=RevisionKind.NAMED if name else RevisionKind.AUTO,
        authors=authors,
        created_by=actor,
        name=name,
    )


@transaction.atomic
def revision_take(
    *, item: ContentItem, actor: User | None = None, name: str = ""
) -> Revision | None:
    """Take a revision of the live document: automatically (no ``actor``, after a pause or
    when the last editor leaves; nothing if nothing changed) or on demand with a ``name``
    (editors only). Its authors are those who changed it since the previous revision."""
    name = (name or "").strip()
    if len(name) > 200:
        raise ValidationError({"name": gettext("A revision's name is at most 200 characters.")})
    if actor is not None and not can_edit(actor, item):
        raise NotAllowed(gettext("You may not change this document."))
    _check_document(item)
    state = _state_locked(item)
    return _take_locked(item, state, actor=actor, name=name)


def _check_document(item: ContentItem) -> None:
    if item.kind != Kind.DOCUMENT:
        raise ValidationError({"kind": gettext("Only documents have revisions.")})


@transaction.atomic
def revision_write(
    *,
    actor: User,
    item: ContentItem,
    html: str,
    base: str | None,
    name: str = "",
    restored_from: Revision | None = None,
) -> Revision:
    """Write the document's text as a new revision, based on revision ``base`` (its id).

    Editors only (NotAllowed otherwise). If the document changed since ``base`` (a later
    revision, or live edits not yet in one), raises RevisionConflict carrying both
    versions and writes nothing. The text is sanitised; it reaches open editors at once.
    """
    if not can_edit(actor, item):
        raise NotAllowed(gettext("You may not change this document."))
    _check_document(item)
    name = (name or "").strip()
    if len(name) > 200:
        raise ValidationError({"name": gettext("A revision's name is at most 200 characters.")})
    if len(html or "") > settings.AUTHORING_MAX_HTML_CHARS:
        raise DocumentTooLarge()
    state = _state_locked(item)
    if state.changed:  # live edits since the latest revision: they become one first
        _take_locked(item, state, actor=None)
    latest = _latest(item.pk)
    if (latest.public_id if latest else None) != (base or None):
        based_on = Revision.objects.filter(item_id=item.pk, public_id=base or "").first()
        raise RevisionConflict(base=based_on, current=latest)
    doc, _ = document_load(item)
    update = ydoc.replace_with_html(doc, sanitise_document(html or ""))
    clean = sanitise_document(ydoc.fragment_html(doc))
    if state.size + len(update) > settings.AUTHORING_MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge()
    DocumentUpdate.objects.create(item_id=item.pk, author=actor, data=update)
    state.pending_updates += 1
    state.size += len(update)
    state.last_change = timezone.now()
    state.save(update_fields=["pending_updates", "size", "last_change"])
    _publish_update(item.pk, update)
    return _record(
        item=item,
        html=clean,
        kind=RevisionKind.RESTORED if restored_from else RevisionKind.WRITTEN,
        authors=[actor.pk],
        created_by=actor,
        name=name,
        restored_from=restored_from,
    )


@transaction.atomic
def revision_restore(*, actor: User, item: ContentItem, revision: Revision) -> Revision:
    """Make an old revision's text the document's again, as a new revision (editors)."""
    if revision.item_id != item.pk:
        raise ValidationError({"revision": gettext("That revision belongs to another document.")})
    state = _state_locked(item)
    if state.changed:
        _take_locked(item, state, actor=None)
    latest = _latest(item.pk)
    return revision_write(
        actor=actor,
        item=item,
        html=revision.html,
        base=latest.public_id if latest else None,
        restored_from=revision,
    )


def document_prepare(*, item: ContentItem) -> None:
    """Make sure the document has its live state (and, if it has text, revision 1).

    Documents written before co-editing (or created with a body) get theirs on first use;
    afterwards this is one read.
    """
    if DocumentState.objects.filter(item_id=item.pk).exists():
        return
    with transaction.atomic():
        _state_locked(item)
