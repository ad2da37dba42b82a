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
# Words at least this long also match their plural or singular: a final "s"
# added or removed ("cooperative" finds "cooperatives" and back). Prefix
# queries would do more, but cost a merge of every matching term per query.
PLURAL_MIN_CHARS = 4

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


def variants(word: str) -> tuple[str, ...]:
    """The word, and its plural or singular by a final "s" when long enough."""
    if len(word) < PLURAL_MIN_CHARS:
        return (word,)
    if word.endswith("s") and not word.endswith("ss"):
        return (word, word[:-1])
    return (word, word + "s")


# -- SQLite FTS5 -------------------------------------------------------------
def fts5_expression(query: SearchQuery) -> str:
    """An FTS5 MATCH expression; every word is a double-quoted string."""
    parts = []
    for word in query.words:
        forms = variants(word)
        quoted = " OR ".join(f'"{form}"' for form in forms)
        parts.append(f"({quoted})" if len(forms) > 1 else quoted)
    for phrase in query.phrases:
        parts.append('"' + " ".join(phrase) + '"')
    return " AND ".join(parts)


_fts = table("items_fts", column("rowid"))
_fts_match = literal_column("items_fts").op("MATCH")
# The FTS5 rowid is published_at (whole seconds) * 2**30 + item id (migration 0006).
_ID_BITS = 30


def item_id_of(key: int) -> int:
    return key % (1 << _ID_BITS)


def _sqlite_ids(session: Session, query: SearchQuery, limit: int, offset: int) -> list[int]:
    """Up to limit + 1 ids from `offset`: title matches first, then summary-only matches.

    Each group is read newest first straight from FTS5 (rowid order) and the
    read stops after the page: no sorting of all matches, however many.
    Retracted items are not in the index.
    """
    expression = fts5_expression(query)
    in_title = f"title : ({expression})"
    ids: list[int] = []
    skip = offset
    for group in (in_title, f"({expression}) NOT ({in_title})"):
        take = limit + 1 - len(ids)
        if take <= 0:
            break
        keys = list(
            session.scalars(
                select(_fts.c.rowid)
                .where(_fts_match(group))
                .order_by(_fts.c.rowid.desc())
                .offset(skip)
                .limit(take)
            )
        )
        ids.extend(item_id_of(key) for key in keys)
        if keys or skip == 0:
            skip = 0
        else:  # the whole group lies before this page: skip past it
            count = select(func.count()).select_from(
                select(_fts.c.rowid).where(_fts_match(group)).subquery()
            )
            skip = max(0, skip - session.scalar(count))
    return ids


# -- PostgreSQL --------------------------------------------------------------
def tsquery_text(query: SearchQuery, weight: str = "") -> str:
    """A to_tsquery() text; `weight` "A" restricts it to the title."""
    parts = []
    for word in query.words:
        forms = [f"'{form}':{weight}" if weight else f"'{form}'" for form in variants(word)]
        parts.append(f"({' | '.join(forms)})" if len(forms) > 1 else forms[0])
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
        visible = select(Item).where(Item.id.in_(ids), Item.retracted_at.is_(None))
        found = {item.id: item for item in session.scalars(visible)}
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
