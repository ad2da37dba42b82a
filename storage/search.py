"""Full-text search over items: the operation, its inputs and the choice of plan.

The indexes are built by migration 0006: FTS5 (`items_fts`; since 0018 also
`items_title_fts`, titles alone) on SQLite, tsvectors of unaccented text
(`items_search`) on PostgreSQL. Both fold case and accents, so "Agtas"
finds "Agtaş".

User text never reaches the search syntax as typed: it is cut into words
(letters and digits; everything else separates, as both tokenizers do), and
each word or quoted phrase is quoted again in the engine's own syntax. So
`NEAR`, `*`, `-`, `:` or a stray quote are just words or nothing, never
operators, and no input can make the query fail to parse.

Words of four letters or more also find their plural or singular (a final
"s"). Order: items whose title matches every word come first, then the
rest; newest first within each group. Each group is read newest first
straight from the index and the read stops after one page (on SQLite the
FTS5 rowid is a recency key, see storage/search_fts5.py; on PostgreSQL a
group expected to be big walks the date index, and title matches from a few
hundred up are sieved in it, see storage/search_tsvector.py, DENSE_MATCHES and
SIEVE_MATCHES), so a page costs about the same on a thousand or a million items.

Pieces: this module reads a query's inputs (PostgreSQL's unaccent folds, the
planner statistics' guesses) and pages across the two groups; `plan_groups`
picks each engine's plan from them (a pure function); storage/search_fts5.py
and storage/search_tsvector.py are the plans, storage/search_pages.py the page
statement they share. Both plans need the store at the head migration (every
process upgrades it at start: bot/cli/common.py open_database).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, func, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

# Queries are read in domain.words, shared with keyword rules; the names
# stay importable from here for the callers of storage.search.
from domain.words import (
    MAX_QUERY_CHARS,
    MAX_WORDS,
    PLURAL_MIN_CHARS,
    SearchQuery,
    parse_query,
    variants,
)
from domain.words import WORD as _WORD
from storage.search_fts5 import fts5_expression, fts5_groups
from storage.search_pages import SHOWN, Entries, Group
from storage.search_tsvector import Guess, Tuning, tsquery_text, tsvector_groups

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_WORDS",
    "PLURAL_MIN_CHARS",
    "SHOWN",
    "SearchPage",
    "SearchQuery",
    "fts5_expression",
    "parse_query",
    "plan_groups",
    "search",
    "tsquery_text",
    "variants",
]


def _database_key(session: Session) -> str:
    """The session's database URL without its password: the key of per-database memos."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


# -- PostgreSQL's inputs: the query as unaccent folds it, the planner statistics ----
# Words (and phrases) as unaccent folded them, per process, each on its own: its rules
# (migration 0006) do not change while we run, and asking costs a round trip. Kept per
# word, a new search of words seen before (most are) asks nothing. Bounded: cleared
# when full.
_FOLDED: dict[str, str | None] = {}
_FOLDED_MAX = 16384
_UNKNOWN = object()


def _unaccented(session: Session, query: SearchQuery) -> SearchQuery:
    """The query as PostgreSQL's unaccent folds it, cut into words again.

    unaccent can turn a letter into punctuation (e.g. a modifier letter into
    an apostrophe) or into two words; re-cutting keeps every lexeme plain.
    """
    texts = list(query.words) + [" ".join(p) for p in query.phrases]
    # Read into a dict of our own: another thread may clear the shared one meanwhile.
    known = {t: _FOLDED.get(t, _UNKNOWN) for t in texts}
    missing = [t for t, value in known.items() if value is _UNKNOWN]
    if missing:
        # One round trip for every text not seen yet (unaccent folds each alone).
        answers = session.execute(select(*[func.coopnews_unaccent(t) for t in missing])).one()
        known.update(zip(missing, answers, strict=True))
        if len(_FOLDED) + len(missing) > _FOLDED_MAX:
            _FOLDED.clear()
        _FOLDED.update(zip(missing, answers, strict=True))
    folded = [known[t] for t in texts]
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    for original, text in zip(texts, folded, strict=True):
        parts = tuple(w.casefold() for w in _WORD.findall(text or ""))
        if not parts:
            continue
        if original in query.words and len(parts) == 1:
            words.append(parts[0])
        else:
            phrases.append(parts)
    return SearchQuery(tuple(words), tuple(phrases))


# PostgreSQL: a group with fewer matches than this is fetched whole through
# the GIN index and sorted; a bigger one is read along the date index of
# items_search (ix_items_search_newest, migration 0021), matching each row
# where it is, and stops after one page. Either way a page is cheap: few
# matches to sort, or many matches near the top (at 1M items a walk reads
# about 1 µs a row, a sort about 5 µs a match: they meet near 2,000).
# How many match is guessed from the planner's statistics (pg_stats, see
# _lexeme_stats), never counted when there are statistics: any use of the GIN
# index decodes the whole posting list of every word, which for common words
# at 1M items was most of the cost of a search. Without statistics (a table
# never analyzed) a count capped at DENSE_MATCHES decides.
DENSE_MATCHES = 2000
# A date walk reads at most this many times the items its expected density
# needs for the page, then gives up and sorts the GIN matches instead: the
# statistics can be wrong (two common words that rarely meet, a reversed
# phrase), and a walk that finds nothing would read the whole date index.
WALK_SLACK = 4
WALK_MIN = 100
# A title group expected to match at least this many items is sieved (its bound
# computed as a walk's) rather than sorted: the date index carries each title's
# signature (migration 0022), so a sieve reads about 0.2 µs per row walked and the
# heap only for the rows left (the matches, and ~1 in 200 others for two words),
# where a sort reads the heap for every match. At 1M items they meet near 300.
SIEVE_MATCHES = 300
# ... while at least this share of items_search's pages is all-visible: an index-only
# read checks the heap of the others (after migration 0022 rewrote the table, until a
# VACUUM; README "Deploy").
SIEVE_VISIBLE = 0.5
# How long a process trusts the statistics it read (seconds). They move
# slowly (autovacuum's ANALYZE); a wrong guess costs time, never answers.
STATS_SECONDS = 300.0


@dataclass(frozen=True)
class _LexemeStats:
    """Share of items_search rows holding a lexeme, per document; the row count; and
    the share of its pages the visibility map marks all-visible (a sieve reads the
    heap of the others: storage/search_tsvector.py). `known` is False when the table
    was never analyzed (no statistics at all)."""

    rows: float
    title: dict[str, float]
    document: dict[str, float]
    known: bool = True
    # Share of the table's pages all-visible (pg_class.relallvisible / relpages).
    visible: float = 1.0


_STATS: dict[str, tuple[float, _LexemeStats]] = {}


def _lexeme_stats(session: Session) -> _LexemeStats:
    """ANALYZE's most common lexemes of items_search (pg_stats), read once per
    STATS_SECONDS per database."""
    key = _database_key(session)
    now = time.monotonic()
    cached = _STATS.get(key)
    if cached and now - cached[0] < STATS_SECONDS:
        return cached[1]
    rows = session.execute(
        sql_text(
            "SELECT attname, most_common_elems::text::text[], most_common_elem_freqs"
            " FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'items_search'"
            " AND attname IN ('title_document', 'document')"
        )
    ).all()
    count, visible_pages, pages = session.execute(
        sql_text(
            "SELECT reltuples, relallvisible, relpages FROM pg_class"
            " WHERE oid = to_regclass('items_search')"
        )
    ).one()
    shares: dict[str, dict[str, float]] = {"title_document": {}, "document": {}}
    for name, lexemes, freqs in rows:
        if lexemes and freqs:
            # The frequency array ends with extra entries (min, max, ...): zip stops early.
            shares[name] = dict(zip(lexemes, freqs, strict=False))
    stats = _LexemeStats(
        max(0.0, float(count or 0)),
        shares["title_document"],
        shares["document"],
        bool(rows),
        min(1.0, visible_pages / pages) if pages > 0 else 0.0,
    )
    _STATS[key] = (now, stats)
    return stats


def _share(query: SearchQuery, shares: dict[str, float]) -> float:
    """A guess of the share of rows matching every word and phrase, as the planner
    makes it: a word's forms add up, words (also a phrase's) are independent.
    A lexeme ANALYZE did not list counts as 0 (rarer than every listed one).
    Too high, the walk gives up (WALK_SLACK); too low, the sort reads more."""
    share = 1.0
    for word in query.words:
        share *= min(1.0, sum(shares.get(form, 0.0) for form in variants(word)))
    for phrase in query.phrases:
        for word in phrase:
            share *= shares.get(word, 0.0)
    return share


def _guesses(query: SearchQuery, stats: _LexemeStats) -> tuple[Guess, Guess] | None:
    """The statistics' guess for the title group and for the rest (None: no statistics).
    The rest matches in the summary only: what matches anywhere minus the title's."""
    if not stats.known:
        return None
    title = _share(query, stats.title)
    rest = max(0.0, _share(query, stats.document) - title)
    return Guess(title, stats.rows, stats.visible), Guess(rest, stats.rows, stats.visible)


# -- the choice of plan and the operation -------------------------------------------
def plan_groups(
    dialect: str, query: SearchQuery, guesses: tuple[Guess, Guess] | None, tuning: Tuning
) -> tuple[Group, Group]:
    """The two ranking groups (title matches, then the rest) of a non-empty `query`, read
    by `dialect`'s plan: FTS5 on SQLite; on PostgreSQL items_search, `query` folded by
    unaccent, with the statistics' `guesses` and `tuning` choosing each page's read
    (storage/search_tsvector.py choose_read). Raises RuntimeError for another dialect."""
    if dialect == "sqlite":
        return fts5_groups(query)
    if dialect == "postgresql":
        return tsvector_groups(query, guesses, tuning)
    raise RuntimeError(f"unsupported database: {dialect}")


@dataclass
class SearchPage:
    """A page of results: rows with the SHOWN fields of each item (not ORM entities),
    and whether another match follows the page."""

    items: Sequence[Row]
    has_more: bool


def search(
    session: Session,
    query: SearchQuery,
    limit: int = 10,
    offset: int = 0,
    published_by: datetime | None = None,
) -> SearchPage:
    """Visible items matching `query`: title matches first, then newest first.
    `published_by`: only items dated no later (the public page hides items dated ahead;
    like retracted ones, they are dropped after the index read, so a page may be short)."""
    dialect = session.get_bind().dialect.name
    guesses = None
    if dialect == "postgresql" and query:
        query = _unaccented(session, query)
        if query:
            guesses = _guesses(query, _lexeme_stats(session))
    if not query:
        return SearchPage([], False)
    tuning = Tuning(DENSE_MATCHES, WALK_SLACK, WALK_MIN, SIEVE_MATCHES, SIEVE_VISIBLE)
    entries = _read_groups(
        session, plan_groups(dialect, query, guesses, tuning), limit, offset, published_by
    )
    rows = [row for _, row in entries if row is not None]
    return SearchPage(rows[:limit], len(entries) > limit)


def _read_groups(
    session: Session, groups: Sequence[Group], limit: int, offset: int, published_by
) -> Entries:
    """Up to `limit` + 1 entries from `offset` across `groups` in order (the one past
    the page says "more"). One statement per group read: each finds its page and reads
    the shown fields of its items; a group is counted only when the page begins past
    it, and the next group read only when the page ends past it."""
    entries: Entries = []
    skip = max(0, offset)
    for number, group in enumerate(groups, 1):
        take = limit + 1 - len(entries)
        if take <= 0:
            break
        found = group.page(session, skip, take, published_by)
        entries.extend(found)
        if number == len(groups):
            break  # nothing after the last group to find the start of
        # Past this group now: the next one starts at 0, or later if the
        # page begins beyond this whole group.
        skip = 0 if found or not skip else max(0, skip - group.count(session))
    return entries
