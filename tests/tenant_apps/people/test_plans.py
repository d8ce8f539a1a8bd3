"""Name searches are planned for their words, never run as prepared statements.

``config.db.prepared`` prepares a SELECT a connection runs twice, and after five
executions PostgreSQL may keep one generic plan for every value: for ``ILIKE '%a%'``
(nearly everyone) and ``ILIKE '%zq%'`` (no one) the best plans differ (walk the name
index and stop at a page, or read every name), and a generic one made for the first reads
the whole directory for the second. The directory's search, the manage pages' people
search and the picker's suggestions opt out (``planned_for_values``); the plain directory
listing, whose plan does not depend on a word, is still prepared (so these checks can fail).
"""

from __future__ import annotations

import pytest

from tenant_apps.groups.picker import picker_suggestions
from tenant_apps.people.admin_selectors import people_for_admin
from tenant_apps.people.models import User
from tenant_apps.people.selectors import people_directory, people_page
from tests.autocommit import autocommit_default, prepared_texts

WORDS = ["ali", "bob", "a", "zzyzx", "Ar", "baker", "e"] * 2  # each text runs 14 times


def _searches(wrapper) -> list[str]:
    return [text for text in prepared_texts(wrapper) if "LIKE" in text]


@pytest.fixture
def autocommit_a(world, django_db_blocker):
    with django_db_blocker.unblock(), autocommit_default(world.tenant_a) as wrapper:
        yield wrapper


def test_the_directory_search_is_never_prepared_but_the_listing_is(world, autocommit_a):
    bob = User.objects.get(pk=world.bob.pk)
    for word in WORDS:
        page, _next = people_page(people_directory(viewer=bob, query=word), after=None, size=2)
        if word == "ali":
            assert [p.pk for p in page] == [world.alice.pk]
        people_directory(viewer=bob, query=word).count()
        if word in ("ali", "a", "Ar", "e"):  # Alice's name holds it: a later page after her
            people_page(
                people_directory(viewer=bob, query=word), after=world.alice.public_id, size=2
            )
    assert _searches(autocommit_a) == []
    for _ in range(3):
        people_page(people_directory(viewer=bob), after=None, size=2)
    assert [text for text in prepared_texts(autocommit_a) if '"people_user"' in text]


def test_the_manage_people_search_is_never_prepared(world, autocommit_a):
    admin = User.objects.get(pk=world.admin_a.pk)
    for word in WORDS:
        found, _next = people_page(people_for_admin(actor=admin, query=word), after=None, size=2)
        if word == "bob":
            assert [p.pk for p in found] == [world.bob.pk]
    assert _searches(autocommit_a) == []


def test_the_pickers_suggestions_are_never_prepared(world, autocommit_a):
    bob = User.objects.get(pk=world.bob.pk)
    for word in WORDS:
        suggestions = picker_suggestions(viewer=bob, query=word)
        if word == "ali":
            assert [s.name for s in suggestions] == ["Alice Archer"]
    assert _searches(autocommit_a) == []
