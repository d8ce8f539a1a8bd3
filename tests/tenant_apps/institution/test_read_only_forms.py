"""A suspended (read-only) institution renders its pages' POST forms disabled, server-side
(no JavaScript), with a notice; what still works (signing in and out, GET forms) is not."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from shared_apps.audit.services import Actor
from tenant_apps.content.services import content_upload_file
from tenant_apps.institution.templatetags.read_only import paused_forms
from tenants.services import tenant_resume, tenant_suspend
from tests.conftest import sign_in
from tests.tenant_apps.content.conftest import png_bytes

pytestmark = pytest.mark.django_db

NOTE = "Paused: the institution is read-only for now."


@pytest.fixture
def item(world):
    with schema_context(world.tenant_a.schema_name):
        return content_upload_file(
            actor=world.alice, source=io.BytesIO(png_bytes()), filename="d.png", title="Diagram"
        )


def _forms(html: str) -> list[str]:
    return re.findall(r"<form\b.*?</form>", html, flags=re.S)


def test_a_suspended_institutions_forms_are_rendered_disabled(world, item):
    alice = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    page = f"/content/{item.public_id}"
    writable = alice.get(page).content.decode()
    assert 'class="paused"' not in writable and NOTE not in writable

    tenant_suspend(tenant=world.tenant_a, actor=Actor.cli())
    html = alice.get(page).content.decode()
    posts = [f for f in _forms(html.split("<main", 1)[1]) if 'method="post"' in f]
    assert posts, "the item page has forms that write"
    for form in posts:
        assert '<fieldset disabled class="paused">' in form, form[:200]
        assert NOTE in form
        assert form.index("<fieldset") < form.index("</fieldset>") < form.index("</form>")
    # The comment box is one of them: nobody types a comment that the server would refuse.
    assert any('name="body"' in form for form in posts)
    # GET forms (filters, search) still work.
    library = alice.get("/content/").content.decode()
    tag_filter = next(f for f in _forms(library) if 'role="search"' in f and 'name="tag"' in f)
    assert "disabled" not in tag_filter
    # Signing in still works while read-only.
    signin = Client(HTTP_HOST=world.host_a).get("/signin").content.decode()
    assert NOTE not in signin and "fieldset disabled" not in signin

    tenant_resume(tenant=world.tenant_a, actor=Actor.cli())
    assert 'class="paused"' not in alice.get(page).content.decode()


def test_the_notice_speaks_the_readers_language():
    form = '<form method="post" action="/x"><input name="a"></form>'
    with translation.override("de"):
        german = paused_forms(form, True)
    assert "<fieldset disabled" in german and NOTE not in german
    assert paused_forms(form, False) == form
    assert "<fieldset" not in paused_forms(
        '<form method="post" action="/signout"><button>x</button></form>', True
    )
    assert "<fieldset" not in paused_forms('<form method="get"><input></form>', True)
