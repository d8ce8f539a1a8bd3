"""A search's reads are planned for their words, never as prepared statements.

The database layer prepares a SELECT run twice (config.db.prepared) and PostgreSQL
then keeps one generic plan whatever the words: at 200,000 items a common word took
1.9 s instead of 0.3 s. Here the search runs on a connection of its own in autocommit
(as a request's is; pytest-django's own connection is inside a transaction, where
nothing is ever prepared).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from config.db.base import DatabaseWrapper
from tenant_apps.people.models import User
from tenant_apps.search.query import Query
from tenant_apps.search.selectors import search, suggest
from tests.autocommit import autocommit_default as autocommit_in


@pytest.fixture
def autocommit_default(world, django_db_blocker) -> Iterator[DatabaseWrapper]:
    """The default alias served by a fresh autocommit connection in institution A."""
    with django_db_blocker.unblock(), autocommit_in(world.tenant_a) as wrapper:
        yield wrapper


def test_no_search_statement_is_ever_prepared(world, autocommit_default):
    viewer = User.objects.get(pk=world.bob.pk)
    for words in ["alice", "bob", "zzyzx", "alicee", '"bob b"', "ali"] * 3:
        query = Query.parse(words, config="english")
        search(viewer=viewer, query=query)
        search(viewer=viewer, query=query, type="people")
        suggest(viewer=viewer, query=query)
    prepared = autocommit_default.connection.statements.names
    assert not [text for text in prepared if "tsquery" in text or "search_word" in text]
    # The connection does prepare other repeated reads (the check above can fail).
    for _ in range(3):
        list(User.objects.filter(username="nobody").values_list("pk", flat=True))
    assert [text for text in prepared if '"people_user"' in text]


def test_behind_a_transaction_pooler_the_settings_hold_for_each_search(world, django_db_blocker):
    # Each transaction may reach another server session: the thresholds are set for the
    # search's own transaction (SET LOCAL), every time, never left on a session.
    from tenant_apps.search import selectors

    original = connections[DEFAULT_DB_ALIAS]
    with django_db_blocker.unblock():
        wrapper = DatabaseWrapper(
            {**connection.settings_dict, "CONN_MAX_AGE": 0, "TRANSACTION_POOLING": True},
            alias=DEFAULT_DB_ALIAS,
        )
        wrapper.set_tenant(world.tenant_a)
        connections[DEFAULT_DB_ALIAS] = wrapper
        try:

            def threshold() -> str:
                with wrapper.cursor() as cursor:
                    cursor.execute("SELECT current_setting('pg_trgm.word_similarity_threshold')")
                    return cursor.fetchone()[0]

            for _ in range(2):
                with transaction.atomic():
                    selectors._prepare()
                    assert threshold() == selectors.WORD_SIMILARITY
                assert threshold() != selectors.WORD_SIMILARITY  # not left on the session
        finally:
            connections[DEFAULT_DB_ALIAS] = original
            wrapper.close()


def _plan_nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.mark.django_db
def test_a_phrase_window_sorts_keys_and_reads_each_row_by_its_key(world, in_a):
    # The newest rows holding a phrase's words are sorted as (id, created), not with their
    # vectors (2,000 rows of 1.3 KB through the sort and the window count at 200,000
    # items), and the phrase is then checked row by row in that order - never a hash or
    # merge join that would check and rank every row holding the words.
    from django.test.utils import CaptureQueriesContext

    from tenant_apps.content.services import content_create_document

    def run() -> list[dict]:
        for n in range(3):
            content_create_document(
                actor=world.alice,
                title=f"Notes {n}",
                body="<p>notes on quantum field theory</p>",
                visibility="loggedin",
            )
        viewer = User.objects.get(pk=world.bob.pk)
        with CaptureQueriesContext(connection) as captured:
            result = search(
                viewer=viewer, query=Query.parse('"quantum field theory"', config="english")
            )
        assert result.total == 3
        window = [q["sql"] for q in captured.captured_queries if "OVER ()" in q["sql"]]
        assert len(window) == 1
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (VERBOSE, FORMAT JSON) " + window[0])
            return list(_plan_nodes(cursor.fetchone()[0][0]["Plan"]))

    nodes = in_a(run)
    kinds = {node["Node Type"] for node in nodes}
    assert "Nested Loop" in kinds and not kinds & {"Hash Join", "Merge Join"}
    for node in nodes:
        if node["Node Type"] in ("Sort", "WindowAgg", "Incremental Sort"):
            assert not [out for out in node.get("Output", []) if "search_vector" in out]
