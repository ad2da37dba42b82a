"""Full-text search over items, and the category list.

The indexes are built by migration 0006: FTS5 (`items_fts`) on SQLite, a
weighted tsvector of unaccented text (`items_search`) on PostgreSQL. Both
fold case and accents, so "Agtas" finds "Agtaş".

User text never reaches the search syntax as typed: it is cut into words
(letters and digits; everything else separates, as both tokenizers do), and
each word or quoted phrase is quoted again in the engine's own syntax. So
`NEAR`, `*`, `-`, `:` or a stray quote are just words or nothing, never
operators, and no input can make the query fail to parse.

Order: items whose title matches every word come first, then the rest;
newest first within each group.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from storage.models import Item

# Enough for any real query, and keeps a "More" button's value small.
MAX_QUERY_CHARS = 300
MAX_WORDS = 12
# Words at least this long also match as prefixes ("cooperative" finds
# "cooperatives"); shorter ones would expand to too many index terms.
PREFIX_MIN_CHARS = 4

_WORD = re.compile(r"[^\W_]+")
_QUOTED = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class SearchQuery:
    """What to look for: single words (AND-ed) and phrases (word sequences)."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)


def parse_query(text: str) -> SearchQuery:
    """Words and "quoted phrases" from what the user typed; never fails."""
    text = (text or "")[:MAX_QUERY_CHARS]
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u201e", '"')
    phrases: list[tuple[str, ...]] = []
    for quoted in _QUOTED.findall(text):
        phrase = tuple(w.casefold() for w in _WORD.findall(quoted))
        if phrase:  # a quoted single word is a one-word phrase: exact, no prefix match
            phrases.append(phrase)
    rest = _QUOTED.sub(" ", text)
    words: list[str] = []
    for word in _WORD.findall(rest):
        word = word.casefold()
        if word not in words:
            words.append(word)
    budget = MAX_WORDS
    phrases = [p[:budget] for p in phrases][:budget]
    budget -= sum(len(p) for p in phrases)
    return SearchQuery(tuple(words[: max(0, budget)]), tuple(p for p in phrases if p))


# -- SQLite FTS5 -------------------------------------------------------------
def fts5_expression(query: SearchQuery) -> str:
    """An FTS5 MATCH expression; every word is a double-quoted string."""
    parts = []
    for word in query.words:
        parts.append(f'"{word}"*' if len(word) >= PREFIX_MIN_CHARS else f'"{word}"')
    for phrase in query.phrases:
        parts.append('"' + " ".join(phrase) + '"')
    return " AND ".join(parts)


_fts = table("items_fts", column("rowid"))
_fts_match = literal_column("items_fts").op("MATCH")

# A group of matches at least this big is read newest first along the date
# index, checking each item against FTS5 by rowid, and stops after one page;
# a smaller group is fetched whole from FTS5 and sorted. Either way a page
# costs about the same on 10,000 or 1,000,000 items, for rare or common words.
DENSE_MATCHES = 2000


def _sqlite_ids(session: Session, query: SearchQuery, limit: int, offset: int) -> list[int]:
    """Up to limit + 1 ids from `offset`: title matches first, then summary-only matches."""
    expression = fts5_expression(query)
    in_title = f"title : ({expression})"
    groups = (in_title, f"({expression}) NOT ({in_title})")
    ids: list[int] = []
    skip = offset
    for group in groups:
        take = limit + 1 - len(ids)
        if take <= 0:
            break
        found = _sqlite_group(session, group, skip, take)
        ids.extend(found)
        if found or skip == 0:
            skip = 0
        else:  # this whole group lies before the page: skip past it
            skip -= _visible_count(session, group)
            skip = max(skip, 0)
    return ids


def _capped_count(session: Session, expression: str, cap: int) -> int:
    hits = select(_fts.c.rowid).where(_fts_match(expression)).limit(cap).subquery()
    return session.scalar(select(func.count()).select_from(hits))


def _visible_count(session: Session, expression: str) -> int:
    hits = select(_fts.c.rowid).where(_fts_match(expression))
    stmt = select(func.count()).where(Item.id.in_(hits), Item.retracted_at.is_(None))
    return session.scalar(stmt.select_from(Item))


def _sqlite_group(session: Session, expression: str, skip: int, take: int) -> list[int]:
    dense = _capped_count(session, expression, DENSE_MATCHES) >= DENSE_MATCHES
    if dense:
        matches = (
            select(_fts.c.rowid)
            .where(_fts_match(expression), _fts.c.rowid == Item.id)
            .correlate(Item)
            .exists()
        )
    else:
        matches = Item.id.in_(select(_fts.c.rowid).where(_fts_match(expression)))
    stmt = (
        select(Item.id)
        .where(matches, Item.retracted_at.is_(None))
        .order_by(Item.published_at.desc(), Item.id.desc())
        .offset(skip)
        .limit(take)
    )
    return list(session.scalars(stmt))


# -- PostgreSQL --------------------------------------------------------------
def tsquery_text(query: SearchQuery, weight: str = "") -> str:
    """A to_tsquery() text; `weight` "A" restricts it to the title."""
    parts = []
    for word in query.words:
        prefix = "*" if len(word) >= PREFIX_MIN_CHARS else ""
        parts.append(f"'{word}':{prefix}{weight}" if prefix or weight else f"'{word}'")
    for phrase in query.phrases:
        lexemes = [f"'{w}':{weight}" if weight else f"'{w}'" for w in phrase]
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


_search = table("items_search", column("item_id"), column("document"))


def _tsquery(text: str):
    # Same folding as the documents (migration 0006): 'simple' config, unaccented.
    return func.to_tsquery(literal_column("'simple'::regconfig"), func.coopnews_unaccent(text))


def _unaccented(session: Session, query: SearchQuery) -> SearchQuery:
    """The query as PostgreSQL's unaccent folds it, cut into words again.

    unaccent can turn a letter into punctuation (e.g. a modifier letter into
    an apostrophe) or into two words; re-cutting keeps every lexeme plain.
    """
    texts = list(query.words) + [" ".join(p) for p in query.phrases]
    folded = session.execute(select(*[func.coopnews_unaccent(t) for t in texts])).one()
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


def _postgres_search(query: SearchQuery) -> tuple[Select, ColumnElement[bool]]:
    matches = _search.c.document.op("@@")
    stmt = (
        select(Item)
        .join(_search, _search.c.item_id == Item.id)
        .where(matches(_tsquery(tsquery_text(query))))
    )
    return stmt, matches(_tsquery(tsquery_text(query, weight="A")))


# -- the operations ------------------------------------------------------------
@dataclass
class SearchPage:
    items: Sequence[Item]
    has_more: bool


def search(session: Session, query: SearchQuery, limit: int = 10, offset: int = 0) -> SearchPage:
    """Visible items matching `query`, title matches first, then newest first."""
    if not query:
        return SearchPage([], False)
    offset = max(0, offset)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        ids = _sqlite_ids(session, query, limit, offset)
        found = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids)))}
        rows = [found[i] for i in ids if i in found]
    elif dialect == "postgresql":
        query = _unaccented(session, query)
        if not query:
            return SearchPage([], False)
        stmt, in_title = _postgres_search(query)
        stmt = (
            stmt.where(Item.retracted_at.is_(None))
            .order_by(in_title.desc(), Item.published_at.desc(), Item.id.desc())
            .offset(offset)
            .limit(limit + 1)
        )
        rows = session.scalars(stmt).all()
    else:
        raise RuntimeError(f"unsupported database: {dialect}")
    return SearchPage(rows[:limit], len(rows) > limit)


@dataclass(frozen=True)
class CategoryCount:
    name: str
    count: int


def categories(session: Session) -> list[CategoryCount]:
    """Categories of visible items with their counts, largest first.

    Categories differing only in case are one (they filter as one in `latest`).
    """
    count = func.count().label("n")
    stmt = (
        select(func.max(Item.category), count)
        .where(Item.retracted_at.is_(None), Item.category_key.is_not(None))
        .group_by(Item.category_key)
        .order_by(count.desc(), Item.category_key)
    )
    return [CategoryCount(name, n) for name, n in session.execute(stmt)]


def uncategorised_count(session: Session) -> int:
    stmt = select(func.count()).where(Item.retracted_at.is_(None), Item.category_key.is_(None))
    return session.scalar(stmt.select_from(Item))
