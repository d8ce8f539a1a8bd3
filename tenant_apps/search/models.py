"""The search vocabulary: words of titles and names, for correcting misspellings.

A misspelt word (``thermodinamics``) is corrected to the closest known word first
(a trigram lookup in this small table, whose size follows the institution's
vocabulary, not its number of items) and then searched as an exact word: the GIN
index answers that at any size. Only words of things visible beyond their owners
are recorded - titles of public and signed-in items and groups, names of listed
people whose name is public or for signed-in members - never a private item's;
``everyone`` marks words seen in something public (the only ones offered to
visitors). Triggers on the source tables add words in the transaction of the write
(``search 0001``); words are never removed there (no row locks on common words), and
a correction is only offered when the corrected query finds something the viewer may
see, so a word whose item has since become private suggests nothing.
``search_rebuild`` recomputes the table exactly.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db import models


class Word(models.Model):
    word = models.CharField(max_length=64, primary_key=True)
    everyone = models.BooleanField(default=False)

    class Meta:
        indexes = [
            GinIndex(fields=["word"], name="search_word_trgm_idx", opclasses=["gin_trgm_ops"])
        ]

    def __str__(self) -> str:
        return self.word
