"""Markup rendered once and reused: ``{% rendered %}`` (the navigation shown twice) and
``{% unbound_form %}`` (a form's fields remembered per institution, language, form class and
initial values). Both must give exactly the markup of a plain ``{% include %}``."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.utils import translation
from django_tenants.utils import schema_context

from shared_apps.site.templatetags import ui
from tenant_apps.content.forms import CommentForm, EditForm
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _tag(form) -> str:
    return (
        engines["django"]
        .from_string('{% load ui %}{% unbound_form form "content/_fields.html" %}')
        .render({"form": form})
    )


def test_an_unbound_form_is_the_include_s_markup_and_is_remembered(world):
    ui._forms.clear()
    with schema_context(world.tenant_a.schema_name), translation.override("en"):
        plain = render_to_string("content/_fields.html", {"form": CommentForm()})
        assert _tag(CommentForm()) == plain
        assert len(ui._forms) == 1
        assert _tag(CommentForm()) == plain  # from memory
        assert len(ui._forms) == 1


def test_remembered_forms_follow_language_institution_and_initial_values(world):
    ui._forms.clear()
    with schema_context(world.tenant_a.schema_name):
        with translation.override("en"):
            english = _tag(CommentForm())
        with translation.override("de"):
            german = _tag(CommentForm())
        assert ">Comment</label>" in english and ">Kommentar</label>" in german
        first = _tag(EditForm(initial={"title": "First title", "visibility": "private"}))
        second = _tag(EditForm(initial={"title": "Second title", "visibility": "public"}))
        assert 'value="First title"' in first and "Second title" not in first
        assert 'value="Second title"' in second
        assert re.search(r'<option value="public" selected>', second)
    with schema_context(world.tenant_b.schema_name):
        _tag(CommentForm())
    schemas = {key[0] for key in ui._forms}
    assert schemas == {world.tenant_a.schema_name, world.tenant_b.schema_name}


def test_a_bound_form_shows_its_own_errors_and_is_not_remembered(world):
    ui._forms.clear()
    with schema_context(world.tenant_a.schema_name), translation.override("en"):
        bound = CommentForm({"body": ""})
        assert not bound.is_valid()
        html = _tag(bound)
        assert "This field is required." in html
        assert len(ui._forms) == 0
        assert "This field is required." not in _tag(CommentForm())


def test_the_navigation_is_rendered_once_and_shown_twice(client_a, world):
    sign_in(client_a, world.bob, world.tenant_a)
    html = client_a.get("/people/").content.decode()
    wide = re.search(r'<nav class="nav-wide"[^>]*>(.*?)</nav>', html, re.S).group(1)
    phone = re.search(r'<details class="nav-phone">.*?<nav [^>]*>(.*?)</nav>', html, re.S).group(1)
    # The same links (each form its own CSRF token field is not expected: rendered once).
    assert wide == phone
    assert '<a href="/people/" aria-current="page">' in wide
    assert wide.count('aria-current="page"') == 1
    assert f"/people/{world.bob.public_id}" in wide  # "My profile": the signed-in person's


# The directory's cards as the template loop drew them before ``{% people_cards %}``.
_CARDS_LOOP = """{% load ui %}{% for person in people %}
        <li>{% avatar person.display_name person.picture %}<a href="{{ person.url }}">{{ person.display_name }}</a>
          {% if person.department %}<span class="muted">{{ person.department }}</span>{% endif %}</li>
      {% endfor %}"""  # noqa: E501


def test_the_directory_s_cards_are_the_loop_s_markup_byte_for_byte():
    people = [
        {"id": "u_1", "display_name": "Ada Lovelace", "url": "/people/u_1", "picture": None,
         "department": "Mathematics"},
        {"id": "u_2", "display_name": "<script>x</script> & \"Bob\" 'O'",
         "url": "/people/u_2?a=1&b=2", "picture": "/people/u_2/picture?v=abc&x=1",
         "department": "R&D <b>"},
        {"id": "u_3", "display_name": "", "url": "/people/u_3", "picture": None, "department": ""},
        {"id": "u_4", "url": "/people/u_4", "picture": None, "department": None},  # name hidden
    ]  # fmt: skip
    loop = engines["django"].from_string(_CARDS_LOOP).render({"people": people})
    cards = (
        engines["django"]
        .from_string("{% load ui %}{% people_cards people %}")
        .render({"people": people})
    )
    assert cards == loop
    assert "&lt;script&gt;" in cards and "<script>" not in cards
    assert (
        engines["django"]
        .from_string("{% load ui %}{% people_cards people %}")
        .render({"people": []})
        == ""
    )


def test_a_form_not_built_yet_is_the_built_form_s_markup_and_built_only_on_a_miss(world):
    ui._forms.clear()
    built = []

    class Counting(ui.UnboundForm):
        def build(self):
            built.append(self.form_class)
            return super().build()

    initial = {"title": "A title", "visibility": "private"}
    with schema_context(world.tenant_a.schema_name), translation.override("en"):
        plain = render_to_string("content/_fields.html", {"form": EditForm(initial=initial)})
        assert _tag(Counting(EditForm, initial)) == plain
        assert _tag(Counting(EditForm, initial)) == plain
        assert built == [EditForm]  # the second came from memory
        # The same entry as the built form's: one key for both.
        assert _tag(EditForm(initial=initial)) == plain
        assert len(ui._forms) == 1
        other = _tag(Counting(EditForm, {"title": "Another", "visibility": "public"}))
        assert 'value="Another"' in other and built == [EditForm, EditForm]
        assert _tag(ui.UnboundForm(CommentForm)) == render_to_string(
            "content/_fields.html", {"form": CommentForm()}
        )
