"""A search query: cleaned text, and the SQL that turns it into a PostgreSQL tsquery.

The text is parsed by PostgreSQL's ``websearch_to_tsquery`` (phrases in quotes,
``-exclusion``, ``or``), never by string-building: user text only ever travels as a
bound parameter. While someone types (suggestions), and when whole words find too
little, the last bare word also matches as a prefix (``to_tsquery(config, 'word:*')``,
the word reduced to letters and digits first). Whole words come first because
PostgreSQL's statistics know how common a word is, not a prefix: with them it picks
the plan that stays cheap at any size (a walk down the recency index for a common
word, the GIN index for a rare one).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

MAX_QUERY_CHARS = 256
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_PREFIXABLE = re.compile(r"^[^\W_]{1,64}$")
_WORD = re.compile(r"[^\W_]{2,}")


def clean_query(raw: str | None) -> str:
    """The query without control characters and with single spaces; ValidationError if too long.

    Empty is allowed (it finds nothing). Longer than ``MAX_QUERY_CHARS`` is refused
    rather than truncated, so that nobody is shown results for a query they did not make.
    """
    text = _CONTROL.sub(" ", raw or "")
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError(
            {
                "q": [
                    gettext("Search for at most %(max_query_chars)s characters.")
                    % {"max_query_chars": MAX_QUERY_CHARS}
                ]
            },
            code="max_length",
        )
    return text


@dataclass(frozen=True)
class Query:
    text: str
    config: str = "english"
    prefix: bool = False
    words: tuple[str, ...] = field(default=())
    # Typo tolerance (pg_trgm) on titles and names; searches try without it first.
    fuzzy: bool = False

    @classmethod
    def parse(cls, raw: str | None, *, config: str, prefix: bool = False) -> Query:
        text = clean_query(raw)
        words = tuple(w.lower() for w in _WORD.findall(text))[:8]
        return cls(text=text, config=config, prefix=prefix, words=words)

    @property
    def is_plain(self) -> bool:
        """Plain words, no phrase, exclusion or "or": only then does typo tolerance apply,
        so that an operator's meaning is never blurred by near matches."""
        tokens = self.text.lower().split()
        return (
            '"' not in self.text
            and "or" not in tokens
            and not any(t.startswith("-") for t in tokens)
        )

    @property
    def fuzzy_text(self) -> str:
        """The text for trigram matching: the query when fuzzy and plain, else nothing."""
        return self.text if self.fuzzy and self.is_plain else ""

    @property
    def has_phrase(self) -> bool:
        return '"' in self.text

    def relaxed(self) -> Query | None:
        """The same words without phrase order, or None when that would not find a superset.

        A phrase (``"quantum field theory"``) matches only rows that hold every one of
        its words, so the query with the quotes dropped finds a superset that the GIN
        index answers exactly (no recheck of positions). Not with an exclusion: a
        dropped quote after ``-`` would exclude single words instead of a phrase.
        """
        if not self.has_phrase or any(t.startswith("-") for t in self.text.split()):
            return None
        return replace(self, text=" ".join(self.text.replace('"', " ").split()))

    @property
    def is_empty(self) -> bool:
        return not self.words and not any(ch.isalnum() for ch in self.text)

    def _split_prefix(self) -> tuple[str, str | None]:
        """(head, last word) when the last word should also match as a prefix."""
        if not self.prefix or self.text.count('"') % 2:
            return self.text, None
        head, _, last = self.text.rpartition(" ")
        if not _PREFIXABLE.match(last) or last.lower() == "or":
            return self.text, None
        if head.rpartition(" ")[2].lower() == "or":
            return self.text, None
        return head, last

    def tsquery(self) -> tuple[str, list]:
        """SQL (and its parameters) of this query's tsquery in the institution's language."""
        head, last = self._split_prefix()
        sql = "websearch_to_tsquery(%s::regconfig, %s)"
        params: list = [self.config, head]
        if last is not None:
            sql = f"({sql} && to_tsquery(%s::regconfig, %s))"
            params += [self.config, f"{last}:*"]
        return sql, params

    def tsquery_weighted(self, weights: str) -> tuple[str, list]:
        """The tsquery with every lexeme limited to ``weights`` (e.g. "AB").

        People's vectors carry each field at the weight of its visibility, so a query
        limited to the weights a viewer may see never matches a field hidden from them.
        """
        sql, params = self.tsquery()
        return (
            "regexp_replace(regexp_replace(("
            + sql
            + ")::text, '''((?:[^'']|'''')*)'':\\*', '''\\1'':*"
            + weights
            + "', 'g'), '''((?:[^'']|'''')*)''(?!:)', '''\\1'':"
            + weights
            + "', 'g')::tsquery",
            params,
        )


def highlight(text: str, words: tuple[str, ...]) -> str:
    """``text`` HTML-escaped, with words starting like a query word wrapped in <mark>."""
    escaped = html.escape(text or "")
    if not words:
        return escaped
    pattern = re.compile(
        r"(?<![\w])(" + "|".join(re.escape(html.escape(w)) for w in words) + r")",
        re.IGNORECASE,
    )
    return pattern.sub(r"<mark>\1</mark>", escaped)


MARK_START, MARK_END = "\x02", "\x03"


def headline_html(raw: str | None) -> str:
    """ts_headline's output (markers \\x02 and \\x03 around matches) as safe HTML.

    Everything is escaped first, so no markup from the document survives; only then
    do the markers, which the source text cannot contain (they are removed from it
    before ts_headline runs), become <mark> elements.
    """
    escaped = html.escape(" ".join((raw or "").split()))
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
