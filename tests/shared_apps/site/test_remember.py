"""``{% remember %}``: fragments rendered once per their inputs (institution, language, time
zone, place, key values), with the request's own CSRF token put in at output; and the pages
that use it (the shell, the item page's comments, shares and versions) show every change at
once, in the right language, to the right person, and stay byte-identical to a fresh render."""

from __future__ import annotations

import datetime
import re

import pytest
from django.template import Context, engines
from django.test import Client, override_settings
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from shared_apps.site.templatetags import ui
from tenant_apps.content.models import Comment, ShareRole
from tenant_apps.content.services import (
    comment_create,
    comment_update,
    content_create_document,
    content_share,
)
from tenant_apps.people.models import User
from tenant_apps.people.services import profile_update
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

TOKEN_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _render(source: str, **values) -> str:
    template = engines["django"].from_string("{% load ui i18n %}" + source)
    return template.render(Context(values).flatten())


def _template(source: str):
    return engines["django"].from_string("{% load ui i18n %}" + source)


@override_settings(FRAGMENTS_CHECKED=False)
def test_a_fragment_is_rendered_once_per_key_and_institution(world):
    fragment = _template("{% remember a %}{{ a }}/{{ b }}{% endremember %}")
    with schema_context(world.tenant_a.schema_name), translation.override("en"):
        assert fragment.render({"a": 1, "b": "first"}) == "1/first"
        # Same key: the remembered markup (b is no key: this is what the check guards).
        assert fragment.render({"a": 1, "b": "second"}) == "1/first"
        assert fragment.render({"a": 2, "b": "second"}) == "2/second"
    # Another institution with the same key values never shares the entry.
    with schema_context(world.tenant_b.schema_name), translation.override("en"):
        assert fragment.render({"a": 1, "b": "beta"}) == "1/beta"
    schemas = {key[0] for key in ui._fragments}
    assert schemas == {world.tenant_a.schema_name, world.tenant_b.schema_name}


def test_a_key_missing_an_input_fails_under_the_check(world):
    fragment = _template("{% remember a %}{{ b }}{% endremember %}")
    with schema_context(world.tenant_a.schema_name):
        fragment.render({"a": 1, "b": "first"})
        with pytest.raises(AssertionError, match="an input is missing from the key"):
            fragment.render({"a": 1, "b": "second"})


def test_language_time_zone_and_value_types_make_their_own_entries(world):
    source = (
        "{% remember n %}{% translate 'Comment' %} {{ when|date:'H:i' }} {{ n }}{% endremember %}"
    )
    when = datetime.datetime(2026, 1, 2, 12, 0, tzinfo=datetime.UTC)
    with schema_context(world.tenant_a.schema_name):
        with translation.override("en"), timezone.override("UTC"):
            assert _render(source, n=0, when=when) == "Comment 12:00 0"
        with translation.override("de"), timezone.override("UTC"):
            assert _render(source, n=0, when=when) == "Kommentar 12:00 0"
        with translation.override("en"), timezone.override("Europe/Berlin"):
            assert _render(source, n=0, when=when) == "Comment 13:00 0"
    # 0 and "0", a safe and an unsafe string: different keys.
    assert ui._frozen(0) != ui._frozen("0")
    assert ui._frozen(False) != ui._frozen(0)
    assert ui._frozen("<b>") != ui._frozen(ui.SafeString("<b>"))
    assert ui._frozen({"a": [1, "x"]}) == ui._frozen({"a": [1, "x"]})
    assert ui._frozen({"a": [1, "x"]}) != ui._frozen({"a": (1, "x")})
    # Rows (dicts with the same keys): each value in its place, with its type.
    rows = [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]
    assert ui._frozen(rows) == ui._frozen([dict(row) for row in rows])
    assert ui._frozen(rows) != ui._frozen([{"id": 1, "name": "A"}, {"id": 2, "name": "C"}])
    assert ui._frozen(rows) != ui._frozen([{"id": 1, "name": "A"}, {"id": True, "name": "B"}])
    assert ui._frozen(rows) != ui._frozen([{"name": "A", "id": 1}, {"name": "B", "id": 2}])
    assert ui._frozen(rows) != ui._frozen([{"id": 1, "name": "A", "id2": 2, "name2": "B"}])
    mixed = [{"id": 1}, {"name": "B"}]  # different keys: entry by entry
    assert ui._frozen(mixed) == ui._frozen([{"id": 1}, {"name": "B"}])
    assert ui._frozen(mixed) != ui._frozen([{"id": 1}, {"name": "C"}])


def test_each_request_gets_its_own_csrf_token_in_a_remembered_form(world):
    fragment = _template("{% remember %}<form>{% csrf_token %}</form>{% endremember %}")
    with schema_context(world.tenant_a.schema_name):
        first = fragment.render({"csrf_token": "token-one"})
        second = fragment.render({"csrf_token": "token-two"})
    assert len(ui._fragments) == 1
    assert TOKEN_FIELD.findall(first) == ["token-one"]
    assert TOKEN_FIELD.findall(second) == ["token-two"]
    assert ui._TOKEN_MARK not in second


def test_what_cannot_be_keyed_on_is_refused(world):
    fragment = _template("{% remember who %}{{ who.pk }}{% endremember %}")
    with schema_context(world.tenant_a.schema_name):
        with pytest.raises(ui.Unkeyable):
            fragment.render({"who": world.alice})
        with override_settings(FRAGMENTS_CHECKED=False):
            # Outside the tests: rendered every time, never remembered.
            assert fragment.render({"who": world.alice}) == str(world.alice.pk)
            assert not ui._fragments


def test_variables_set_inside_stay_inside(world):
    source = (
        "{% remember %}{% translate 'Comment' as label %}{{ label }}{% endremember %}[{{ label }}]"
    )
    with schema_context(world.tenant_a.schema_name), translation.override("en"):
        assert _render(source) == "Comment[]"
        assert _render(source) == "Comment[]"


def test_a_block_inside_is_each_page_s_own(world):
    """A fragment holding a {% block %} (the shell's header) is filled by the page that
    extends it: two pages with the same key values each get their own markup."""
    from django.template import Engine

    engine = Engine(
        loaders=[
            (
                "django.template.loaders.locmem.Loader",
                {
                    "shell.html": "{% load ui %}{% remember a %}<h1>{{ a }}</h1>"
                    "{% block banner %}plain{% endblock %}{% endremember %}",
                    "one.html": "{% extends 'shell.html' %}{% block banner %}one{% endblock %}",
                    "two.html": "{% extends 'shell.html' %}{% block banner %}two{% endblock %}",
                },
            )
        ],
        libraries={"ui": "shared_apps.site.templatetags.ui"},
    )
    with schema_context(world.tenant_a.schema_name):
        for _ in range(2):
            assert engine.get_template("one.html").render(Context({"a": 1})) == "<h1>1</h1>one"
            assert engine.get_template("two.html").render(Context({"a": 1})) == "<h1>1</h1>two"
            assert engine.get_template("shell.html").render(Context({"a": 1})) == "<h1>1</h1>plain"
    assert len(ui._fragments) == 3
    # Without a block, the page is no input: one entry wherever the fragment is used.
    plain = _template("{% remember a %}{{ a }}{% endremember %}")
    assert plain.template.nodelist.get_nodes_by_type(ui.RememberNode)[0].has_blocks is False


@override_settings(FRAGMENTS_CHECKED=False)
def test_what_is_kept_is_bounded_in_characters(world, monkeypatch):
    """A fragment longer than the bound renders every time; the process keeps at most
    ``_FRAGMENTS_CHARS_KEPT`` characters, forgetting the least recently used first."""
    fragment = _template("{% remember a %}{{ b }}{% endremember %}")
    with schema_context(world.tenant_a.schema_name):
        big = "x" * (ui._FRAGMENT_MAX_CHARS + 1)
        assert fragment.render({"a": "big", "b": big}) == big
        assert not ui._fragments  # not remembered: the next render is a fresh one
        assert fragment.render({"a": "big", "b": "changed"}) == "changed"
        ui.fragments_clear()
        monkeypatch.setattr(ui, "_FRAGMENTS_CHARS_KEPT", 2_500)
        for index in range(5):
            fragment.render({"a": index, "b": str(index) * 1_000})
        assert [key[-1] for key in ui._fragments] == [((int, 3),), ((int, 4),)]
        assert ui._fragments_chars == 2_000
        # The oldest entry was forgotten: rendered afresh.
        assert fragment.render({"a": 0, "b": "fresh"}) == "fresh"
        assert ui._fragments_chars == 2_005  # 3, 4 and 0: within the bound
    ui.fragments_clear()
    assert ui._fragments_chars == 0


@override_settings(FRAGMENTS_REMEMBERED=False)
def test_off_renders_every_time(world):
    fragment = _template("{% remember a %}{{ b }}{% endremember %}")
    with schema_context(world.tenant_a.schema_name):
        assert fragment.render({"a": 1, "b": "first"}) == "first"
        assert fragment.render({"a": 1, "b": "second"}) == "second"
    assert not ui._fragments


# --- the pages -------------------------------------------------------------------------


@pytest.fixture
def busy_item(world):
    with schema_context(world.tenant_a.schema_name):
        item = content_create_document(
            actor=world.alice, title="Remembered", body="<p>Body</p>", visibility="loggedin"
        )
        content_share(actor=world.alice, item=item, principals=[world.bob], role=ShareRole.EDITOR)
        comment_create(actor=world.bob, item=item, body="Bob's first word")
        comment_create(actor=world.alice, item=item, body="Alice answers")
    return item


def _masked(html: str) -> str:
    return TOKEN_FIELD.sub('name="csrfmiddlewaretoken" value="TOKEN"', html)


def test_the_item_page_is_the_same_markup_remembered_or_not(world, busy_item):
    alice = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    url = f"/content/{busy_item.public_id}"
    with override_settings(FRAGMENTS_REMEMBERED=False):
        fresh = alice.get(url).content.decode()
    first = alice.get(url).content.decode()
    remembered = alice.get(url).content.decode()  # every fragment from memory (and checked)
    assert ui._fragments
    assert _masked(first) == _masked(fresh) == _masked(remembered)
    assert "Bob&#x27;s first word" in remembered and "Alice answers" in remembered
    # One token per page, the request's own, in every form.
    tokens = set(TOKEN_FIELD.findall(remembered))
    assert len(tokens) == 1
    assert tokens != set(TOKEN_FIELD.findall(first))
    assert ui._TOKEN_MARK not in remembered


def test_a_remembered_page_s_token_is_accepted(world, busy_item):
    alice = sign_in(
        Client(HTTP_HOST=world.host_a, enforce_csrf_checks=True), world.alice, world.tenant_a
    )
    url = f"/content/{busy_item.public_id}"
    alice.get(url)
    html = alice.get(url).content.decode()  # the comments' forms from memory
    token = TOKEN_FIELD.findall(html)[0]
    answer = alice.post(f"{url}/comments", {"body": "Posted", "csrfmiddlewaretoken": token})
    assert answer.status_code == 302
    assert "Posted" in alice.get(url).content.decode()


def test_changes_show_at_once(world, busy_item):
    """An edited comment, a changed or hidden display name, another language: the next page
    shows it (the key holds the values themselves)."""
    alice = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    url = f"/content/{busy_item.public_id}"
    assert "Bob&#x27;s first word" in alice.get(url).content.decode()
    with schema_context(world.tenant_a.schema_name):
        comment = Comment.objects.get(item=busy_item, author=world.bob)
        comment_update(actor=world.bob, comment=comment, body="Bob changed his mind")
    html = alice.get(url).content.decode()
    assert "Bob changed his mind" in html and "first word" not in html
    with schema_context(world.tenant_a.schema_name):
        # Fresh objects: the standing world's are never changed in place.
        bob = User.objects.get(pk=world.bob.pk)
        profile_update(actor=bob, person=bob, display_name="Robert Renamed")
    html = alice.get(url).content.decode()
    assert "Robert Renamed" in html
    with schema_context(world.tenant_a.schema_name):
        profile_update(actor=bob, person=bob, display_name_visibility="private")
    html = alice.get(url).content.decode()
    assert "Robert Renamed" not in html
    with schema_context(world.tenant_a.schema_name):
        alice_row = User.objects.get(pk=world.alice.pk)
        profile_update(actor=alice_row, person=alice_row, language="de")
    html = alice.get(url).content.decode()
    assert ">Kommentare<" in html or "Kommentar" in html
    assert "Comments</h2>" not in html


def test_the_shell_is_each_person_s_own(world, busy_item):
    """The remembered header and navigation: each person's profile link, the right section
    marked, the staff link only for staff, in each institution."""
    alice = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    admin = sign_in(Client(HTTP_HOST=world.host_a), world.admin_a, world.tenant_a)
    charlie = sign_in(Client(HTTP_HOST=world.host_b), world.charlie, world.tenant_b)
    for _ in range(2):
        mine = alice.get("/people/").content.decode()
        theirs = admin.get("/people/").content.decode()
        beta = charlie.get("/people/").content.decode()
        library = alice.get("/content/").content.decode()

    def nav(html: str) -> str:
        return re.search(r'<nav class="nav-wide"[^>]*>(.*?)</nav>', html, re.S).group(1)

    assert f"/people/{world.alice.public_id}" in nav(mine)
    assert f"/people/{world.admin_a.public_id}" not in nav(mine)
    assert f"/people/{world.admin_a.public_id}" in nav(theirs)
    assert "/manage/" in nav(theirs) and "/manage/" not in nav(mine)
    assert f"/people/{world.charlie.public_id}" in nav(beta)
    assert world.alice.public_id not in beta
    assert '<a href="/people/" aria-current="page">' in nav(mine)
    assert '<a href="/people/" aria-current="page">' not in nav(library)
    assert '<a href="/content/" aria-current="page">' in nav(library)


def test_path_section():
    assert ui.path_section("/") == "/"
    assert ui.path_section("/content/abc") == "/content/"
    assert ui.path_section("/content/") == "/content/"
    assert ui.path_section("/world") == "/world"
    assert ui.path_section("/worldly/x") == "/worldly/"
    assert ui.path_section("") == ""


def test_the_directory_s_remembered_cards_follow_each_viewer_and_each_change(world):
    """The first page is remembered by its rows and the viewer's part of the rule: an admin
    and the person themself see a hidden department, a member does not, and a change shows
    at once."""
    with schema_context(world.tenant_a.schema_name):
        bob = User.objects.get(pk=world.bob.pk)
        profile_update(actor=bob, person=bob, department="Physics", department_visibility="private")
    alice = sign_in(Client(HTTP_HOST=world.host_a), world.alice, world.tenant_a)
    admin = sign_in(Client(HTTP_HOST=world.host_a), world.admin_a, world.tenant_a)
    bob_client = sign_in(Client(HTTP_HOST=world.host_a), world.bob, world.tenant_a)
    for _ in range(2):
        assert "Physics" not in alice.get("/people/").content.decode()
        assert "Physics" in admin.get("/people/").content.decode()
        assert "Physics" in bob_client.get("/people/").content.decode()
    with schema_context(world.tenant_a.schema_name):
        profile_update(actor=bob, person=bob, department_visibility="loggedin")
    assert "Physics" in alice.get("/people/").content.decode()
    with schema_context(world.tenant_a.schema_name):
        profile_update(actor=bob, person=bob, display_name="Bobby Tables")
    html = alice.get("/people/").content.decode()
    assert "Bobby Tables" in html and "Bob Baker" not in html
