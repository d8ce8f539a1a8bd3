from __future__ import annotations

import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from tenant_apps.authoring import ydoc


def edit_update(state: bytes | None, text: str, *, client_id: int | None = None) -> bytes:
    """A Yjs update that appends a paragraph ``text`` to a document in ``state``
    (what an editor's browser would send)."""
    doc = Doc(client_id=client_id) if client_id else Doc()
    fragment = doc.get(ydoc.FRAGMENT, type=XmlFragment)
    if state:
        doc.apply_update(state)
    before = doc.get_state()
    paragraph = fragment.children.append(XmlElement("paragraph"))
    paragraph.children.append(XmlText()).insert(0, text)
    return doc.get_update(before)


@pytest.fixture
def alice(world, bearer):
    return bearer(world.alice, world.tenant_a)


@pytest.fixture
def bob(world, bearer):
    return bearer(world.bob, world.tenant_a)


@pytest.fixture
def charlie(world, bearer):
    return bearer(world.charlie, world.tenant_b)
