"""Writes of the search index: rebuilding it (the triggers keep it current otherwise).

Every vector is computed by a trigger in its own app's table (see the ``*_search``
migrations of people, groups, content and messaging), in the transaction of the write
that changed the text. A rebuild re-fires those triggers, in batches of rows, for
when the institution's language changed or the index is suspected stale, and
recomputes the vocabulary of corrections (``search.Word``), whose triggers only add.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction

# (table, the column whose self-assignment fires the table's search trigger)
TABLES = (
    ("people_user", "display_name"),
    ("groups_group", "title"),
    ("content_contentitem", "title"),
    ("messaging_thread", "subject"),
    ("messaging_message", "body"),
)
BATCH = 2000


def search_index_rebuild(
    *, batch: int = BATCH, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Recompute every search vector of the current schema; returns rows per table.

    Each batch is its own transaction, so a long rebuild holds no lock for long and
    a crash loses at most a batch (run it again). ``progress(table, done, total)``
    is called after each batch.
    """
    done_by_table: dict[str, int] = {}
    for table, column in TABLES:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*), coalesce(max(id), 0) FROM {table}")
            total, last = cursor.fetchone()
        done, start = 0, 0
        while start <= last and total:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {column} = {column} WHERE id > %s AND id <= %s",
                    [start, start + batch],
                )
                done += cursor.rowcount
            start += batch
            if progress:
                progress(table, done, total)
        if progress and not total:
            progress(table, 0, 0)
        done_by_table[table] = done
    # The vocabulary of corrections (search.Word): recomputed exactly, in one statement.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT oae_search_words_rebuild()")
        done_by_table["search_word"] = cursor.fetchone()[0]
    if progress:
        progress("search_word", done_by_table["search_word"], done_by_table["search_word"])
    return done_by_table


# A word stays in the vocabulary while a title or name that records words still holds it
# (the same sources as ``oae_search_words_rebuild``).
_WORDS_FORGET = """
DELETE FROM search_word AS sw
WHERE sw.word = ANY(oae_search_words(%s))
    AND NOT EXISTS (
        SELECT 1 FROM content_contentitem
        WHERE deleted_at IS NULL AND visibility IN ('public', 'loggedin')
            AND oae_search_words(title) @> ARRAY[sw.word::text])
    AND NOT EXISTS (
        SELECT 1 FROM groups_group
        WHERE deleted_at IS NULL AND visibility IN ('public', 'loggedin')
            AND oae_search_words(title) @> ARRAY[sw.word::text])
    AND NOT EXISTS (
        SELECT 1 FROM people_user
        WHERE is_active AND listed_in_directory
            AND display_name_visibility IN ('public', 'loggedin')
            AND oae_search_words(display_name) @> ARRAY[sw.word::text])
"""


def search_words_forget(*, text: str) -> int:
    """Drop the vocabulary's words of ``text`` that no visible title or name still holds.

    The triggers only add words (no row locks on common words in every write); an
    erasure calls this with the person's former name, so no trace of it stays in the
    table. It reads the titles and names once per word of ``text``: meant for rare
    writes, not for every rename. Returns how many words went.
    """
    if not text:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_WORDS_FORGET, [text])
        return cursor.rowcount


# The words every visible title and name holds now (the sources of
# ``oae_search_words_rebuild``); the vocabulary keeps only those, public ones marked.
_WORDS_PRUNE = """
WITH held AS (
    SELECT w, bool_or(everyone) AS everyone FROM (
        SELECT unnest(oae_search_words(title)) AS w, visibility = 'public' AS everyone
        FROM content_contentitem
        WHERE deleted_at IS NULL AND visibility IN ('public', 'loggedin')
        UNION ALL
        SELECT unnest(oae_search_words(title)), visibility = 'public'
        FROM groups_group
        WHERE deleted_at IS NULL AND visibility IN ('public', 'loggedin')
        UNION ALL
        SELECT unnest(oae_search_words(display_name)), display_name_visibility = 'public'
        FROM people_user
        WHERE is_active AND listed_in_directory
            AND display_name_visibility IN ('public', 'loggedin')
    ) words GROUP BY w
), gone AS (
    DELETE FROM search_word AS sw
    WHERE NOT EXISTS (SELECT 1 FROM held WHERE held.w = sw.word)
    RETURNING 1
), narrowed AS (
    UPDATE search_word AS sw SET everyone = false FROM held
    WHERE held.w = sw.word AND sw.everyone AND NOT held.everyone
    RETURNING 1
)
SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM narrowed)
"""


def search_words_prune() -> dict[str, int]:
    """Drop the vocabulary's words that no visible title or name holds any more.

    The triggers only add: a word whose item was since made private or deleted, or
    whose person left or hid their name, stays in ``search_word`` until this runs
    (nightly, ``search.prune_words_all``) or a rebuild. It is never offered meanwhile
    (a correction is offered only when the corrected query finds something the viewer
    may see); pruning keeps the table itself from holding such words for long. Words
    seen in public that now are only for signed-in members lose ``everyone``. It only
    deletes and narrows, in one statement: a title written while it runs, holding a
    word already known, may lose that word until the title's next write or a rebuild
    (a missed correction, never a word shown too widely). Returns the counts.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_WORDS_PRUNE)
        gone, narrowed = cursor.fetchone()
    return {"removed": gone, "narrowed": narrowed}
