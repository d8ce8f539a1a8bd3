"""The vocabulary of corrections (search.Word) and bounded phrase lookups."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django_tenants.utils import schema_context

from tenant_apps.content.services import (
    content_create_document,
    content_delete,
    content_update,
)
from tenant_apps.groups.services import group_create
from tenant_apps.people.services import profile_update, user_create
from tenant_apps.search import selectors, tasks
from tenant_apps.search.models import Word
from tenant_apps.search.services import search_words_forget
from tests.tenant_apps.search.conftest import ids

pytestmark = pytest.mark.django_db


def _words(in_a) -> dict[str, bool]:
    return in_a(lambda: dict(Word.objects.values_list("word", "everyone")))


def test_a_misspelling_is_corrected_to_known_words_and_searched_as_words(world, in_a, search_api):
    titled = in_a(
        content_create_document,
        actor=world.alice,
        title="Thermodynamics problem set",
        visibility="loggedin",
    )
    # Only in its body: the corrected word is searched everywhere, not only in titles.
    bodied = in_a(
        content_create_document,
        actor=world.alice,
        title="Heat engines",
        body="<p>Notes on thermodynamics and entropy.</p>",
        visibility="loggedin",
    )
    words = _words(in_a)
    assert words["thermodynamics"] is False and words["problem"] is False
    assert "set" in words and "heat" in words and "notes" not in words  # titles only
    response = search_api({"q": "thermodinamics"}, user=world.bob)
    assert set(ids(response)) == {titled.public_id, bodied.public_id}
    assert response.json()["did_you_mean"] == "thermodynamics"
    # Known words stay; only the unknown one changes.
    response = search_api({"q": "thermodinamics problem"}, user=world.bob)
    assert response.json()["did_you_mean"] == "thermodynamics problem"
    assert ids(response) == [titled.public_id]


def test_a_private_items_words_are_never_suggested_to_others(world, in_a, search_api):
    secret = in_a(content_create_document, actor=world.alice, title="Paleontology secrets")
    assert "paleontology" not in _words(in_a)
    response = search_api({"q": "paleontolgy"}, user=world.bob)
    assert ids(response) == [] and response.json()["did_you_mean"] is None
    # Its owner still finds it (near spellings of titles she may see).
    assert ids(search_api({"q": "paleontolgy"}, user=world.alice)) == [secret.public_id]
    # A word seen while an item was open stays in the table until a rebuild, but is
    # offered only when the corrected query finds something the viewer may see.
    item = in_a(
        content_create_document, actor=world.alice, title="Glaciology", visibility="loggedin"
    )
    assert ids(search_api({"q": "glaciolgy"}, user=world.bob)) == [item.public_id]
    in_a(content_update, actor=world.alice, item=item, visibility="private")
    assert "glaciology" in _words(in_a)
    response = search_api({"q": "glaciolgy"}, user=world.bob)
    assert ids(response) == [] and response.json()["did_you_mean"] is None
    out = io.StringIO()
    call_command("search_rebuild", world.tenant_a.slug, stdout=out)
    assert "[search_word]" in out.getvalue()
    assert "glaciology" not in _words(in_a) and "paleontology" not in _words(in_a)


def test_visitors_are_offered_only_words_seen_in_public(world, in_a, search_api):
    members = in_a(
        content_create_document, actor=world.alice, title="Volcanology", visibility="loggedin"
    )
    assert _words(in_a)["volcanology"] is False
    assert search_api({"q": "volcanolgy"}).json()["did_you_mean"] is None
    assert search_api({"q": "volcanolgy"}, user=world.bob).json()["did_you_mean"] == "volcanology"
    open_item = in_a(
        content_create_document, actor=world.bob, title="Volcanology today", visibility="public"
    )
    assert _words(in_a)["volcanology"] is True
    response = search_api({"q": "volcanolgy"})
    assert response.json()["did_you_mean"] == "volcanology"
    assert ids(response) == [open_item.public_id]  # never the signed-in members' item
    assert members.public_id not in ids(response)


def test_group_titles_and_visible_names_are_words_hidden_names_are_not(world, in_a):
    in_a(group_create, actor=world.alice, title="Ornithology club")
    assert "ornithology" in _words(in_a)

    def people():
        shown = user_create(username="vocab1", display_name="Zebulon Quartermaine")
        hidden = user_create(username="vocab2", display_name="Xavierre Hollowmere")
        profile_update(actor=hidden, person=hidden, display_name_visibility="private")
        return shown, hidden

    in_a(people)
    words = _words(in_a)
    assert "quartermaine" in words
    # Added while the name was visible, gone after a rebuild now it is private.
    in_a(call_command, "search_rebuild", world.tenant_a.slug, stdout=io.StringIO())
    words = _words(in_a)
    assert "quartermaine" in words and "hollowmere" not in words


def test_vocabularies_are_per_institution(world, in_a, search_api, client_b, bearer):
    in_a(content_create_document, actor=world.alice, title="Seismology", visibility="public")
    with schema_context(world.tenant_b.schema_name):
        assert not Word.objects.filter(word="seismology").exists()
    response = client_b.get(
        "/api/v1/search/", {"q": "seismolgy"}, **bearer(world.charlie, world.tenant_b)
    )
    assert response.status_code == 200
    assert response.json()["results"] == [] and response.json()["did_you_mean"] is None
    assert search_api({"q": "seismolgy"}, user=world.bob).json()["did_you_mean"] == "seismology"


def test_a_phrase_is_checked_on_a_bounded_window_and_falls_back_when_short(
    world, in_a, search_api, monkeypatch
):
    def make(title: str, body: str):
        return content_create_document(
            actor=world.alice, title=title, body=f"<p>{body}</p>", visibility="loggedin"
        )

    older = [in_a(make, f"Old {n}", "notes on quantum field theory") for n in range(2)]
    # Newer items hold the words, not the phrase.
    newer = [in_a(make, f"New {n}", "theory of the field, quantum notes") for n in range(3)]
    phrase = '"quantum field theory"'
    expected = {item.public_id for item in older}
    assert set(ids(search_api({"q": phrase}, user=world.bob))) == expected
    # A window of the newest two rows holding the words has no phrase in it: the
    # lookup falls back to the plain one and still finds both.
    monkeypatch.setitem(selectors.CANDIDATES, "content", 2)
    monkeypatch.setattr(selectors, "PHRASE_WINDOW", 1)
    assert set(ids(search_api({"q": phrase, "type": "content"}, user=world.bob))) == expected
    monkeypatch.setattr(selectors, "PHRASE_WINDOW", 3)  # 2 found in a window of 6
    assert set(ids(search_api({"q": phrase, "type": "content"}, user=world.bob))) == expected
    # An excluded phrase is never loosened to its words.
    monkeypatch.setitem(selectors.CANDIDATES, "content", 500)
    response = search_api({"q": 'notes -"quantum field theory"', "type": "content"}, user=world.bob)
    assert set(ids(response)) == {item.public_id for item in newer}


def test_forgetting_a_name_keeps_the_words_someone_else_still_holds(world, in_a):
    def people():
        user_create(username="vocab3", display_name="Ysolde Brackenridge")
        leaving = user_create(username="vocab4", display_name="Ysolde Thistlewaite")
        leaving.is_active = False
        leaving.save()
        content_create_document(
            actor=world.alice, title="Thistlewaite papers", visibility="private"
        )
        return search_words_forget(text="Ysolde Thistlewaite")

    assert in_a(people) == 1
    words = _words(in_a)
    # "ysolde" is still someone's visible name; "thistlewaite" was only theirs (the
    # private item's title never counts).
    assert "ysolde" in words and "brackenridge" in words
    assert "thistlewaite" not in words


def test_the_nightly_prune_drops_words_no_visible_title_holds(world, in_a, search_api):
    made_private = in_a(
        content_create_document, actor=world.alice, title="Speleology", visibility="public"
    )
    deleted = in_a(
        content_create_document, actor=world.alice, title="Dendrology", visibility="loggedin"
    )
    narrowed = in_a(
        content_create_document, actor=world.alice, title="Limnology", visibility="public"
    )
    kept = in_a(content_create_document, actor=world.alice, title="Speleology club")
    in_a(content_update, actor=world.alice, item=made_private, visibility="private")
    in_a(content_delete, actor=world.alice, item=deleted)
    in_a(content_update, actor=world.alice, item=narrowed, visibility="loggedin")
    words = _words(in_a)
    # The triggers only add: until the prune, the table still holds them.
    assert words["speleology"] is True and "dendrology" in words and words["limnology"] is True
    # What beat queues nightly in each institution (search.prune_words_all).
    schedule = settings.CELERY_BEAT_SCHEDULE["search-prune-words"]
    assert schedule["task"] == tasks.prune_words_all.name
    counts = in_a(tasks.prune_words)
    assert counts["removed"] >= 2 and counts["narrowed"] >= 1
    words = _words(in_a)
    assert "speleology" not in words  # only a private title holds it now
    assert "dendrology" not in words
    assert words["limnology"] is False  # now for signed-in members only
    assert "club" not in words and kept.visibility == "private"
    # Nothing else went: a signed-in member is still offered limnology, a visitor not.
    assert search_api({"q": "limnolgy"}, user=world.bob).json()["did_you_mean"] == "limnology"
    assert search_api({"q": "limnolgy"}).json()["did_you_mean"] is None
    # Another institution's vocabulary is its own: B never held these words.
    with schema_context(world.tenant_b.schema_name):
        assert not Word.objects.filter(word__in=["speleology", "limnology"]).exists()
