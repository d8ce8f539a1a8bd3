"""Icons are SVG from the sprite frontend/build/icons.svg (lucide icons built from the npm lock),
served by our own static files: no emoji as icons (Debian's chromium, like many phones and
servers, has no emoji font and draws boxes), no icon from a CDN."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.site.templatetags.ui import KIND_ICONS, icon
from tenant_apps.content.models import ShareRole
from tenant_apps.content.services import (
    content_add_link,
    content_create_document,
    content_share,
    content_upload_file,
)
from tenant_apps.folders.services import folder_create, folder_items_add
from tenant_apps.groups.services import group_create
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
ICON_LIST = json.loads((ROOT / "frontend" / "src" / "icons.json").read_text())
# Emoji and pictographs (what a font without emoji draws as a box), and the variation selector
# that asks for emoji presentation.
EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u25a0-\u25ff\ufe0f]"
)
ICON_TAG = re.compile(r"""\{%\s*icon\s+["']([a-z0-9-]+)["']""")


def _templates() -> list[Path]:
    roots = [ROOT / "platform", ROOT / "shared_apps", ROOT / "tenant_apps"]
    return [path for root in roots for path in root.rglob("templates/**/*.html")]


def test_no_template_uses_an_emoji():
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group()!r}"
        for path in _templates()
        for match in EMOJI.finditer(path.read_text())
    ]
    assert offenders == []


def test_every_icon_used_is_in_the_served_sprite(client_a):
    used = {name for path in _templates() for name in ICON_TAG.findall(path.read_text())}
    used |= set(KIND_ICONS.values())
    assert used, "the templates use icons"
    assert used <= set(ICON_LIST), f"add to frontend/src/icons.json: {used - set(ICON_LIST)}"

    response = client_a.get("/static/frontend/icons.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    sprite = b"".join(response.streaming_content).decode()
    for name in ICON_LIST:
        assert f'<symbol id="{name}" viewBox="0 0 24 24"' in sprite
    # Only the icons listed, not lucide's 2,000: the sprite stays small.
    assert sprite.count("<symbol ") == len(ICON_LIST)
    assert "ISC License" in sprite  # the licence travels with the icons


def test_decorative_icons_are_hidden_and_labelled_ones_are_named():
    assert str(icon("folder")) == (
        '<svg class="icon" aria-hidden="true" focusable="false">'
        '<use href="/static/frontend/icons.svg#folder"></use></svg>'
    )
    assert str(icon("users", label="Group <b>")) == (
        '<svg class="icon" role="img" aria-label="Group &lt;b&gt;">'
        '<use href="/static/frontend/icons.svg#users"></use></svg>'
    )


def test_key_pages_draw_svg_icons_and_no_emoji(world):
    with schema_context(world.tenant_a.schema_name):
        upload = content_upload_file(
            actor=world.admin_a, source=io.BytesIO(b"a few bytes"), filename="a.bin", title="Data"
        )
        content_add_link(actor=world.admin_a, url="https://example.org/", title="A site")
        document = content_create_document(actor=world.admin_a, title="Notes")
        group = group_create(actor=world.admin_a, title="Reading circle")
        content_share(actor=world.admin_a, item=document, principals=[group], role=ShareRole.VIEWER)
        folder = folder_create(actor=world.admin_a, title="Term one")
        folder_items_add(
            actor=world.admin_a, folder=folder, item_ids=[upload.public_id, document.public_id]
        )
    client = sign_in(Client(HTTP_HOST=world.host_a), world.admin_a, world.tenant_a)
    sprite = "/static/frontend/icons.svg#"
    pages = {
        # The admin's checklist (circle, circle-check), recent items, the header.
        "/": ["circle", "file-text", "bell", "menu"],
        "/content/": ["file", "file-text", "link"],
        f"/content/{document.public_id}": ["file-text", "users"],
        "/folders/": ["folder"],
        f"/folders/{folder.public_id}": ["folder", "file", "file-text"],
        f"/people/{world.admin_a.public_id}": ["menu"],
    }
    for url, icons in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert EMOJI.findall(html) == [], url
        for name in icons:
            assert f'<use href="{sprite}{name}' in html, (url, name)
