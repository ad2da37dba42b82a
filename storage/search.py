"""Full-text search over items.

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
FTS5 rowid is a recency key, see migration 0006; on PostgreSQL a group
expected to be big walks the date index, see DENSE_MATCHES), so a page
costs about the same on a thousand or a million items.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    column,
    false,
    func,
    literal_column,
    not_,
    select,
    table,
)
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
from storage.models import Item

__all__ = ["MAX_QUERY_CHARS", "MAX_WORDS", "PLURAL_MIN_CHARS", "SearchQuery", "parse_query"]


# What a page shows of each item (bot/blocks/items.py, bot/public/news.py): read in the
# statement that finds the page, as Core rows, not ORM entities.
SHOWN = ("id", "title", "url", "category", "summary", "published_at", "origin", "source_id")
_items = Item.__table__
_SKIP = bindparam("skip", type_=Integer)
_TAKE = bindparam("take", type_=Integer)

# A page of one group: (item id, its row, or None when the item is not shown: retracted,
# or dated after `published_by`), newest first.
Entries = list[tuple[int, Row | None]]


@dataclass(frozen=True)
class Group:
    """One ranking group of matches: a page of entries newest first (see `_shown`), and
    the group's size. `page(session, skip, take, published_by)`."""

    page: Callable[[Session, int, int, datetime | None], Entries]
    count: Callable[[Session], int]


# Page statements, built once per shape (and whether a date limit applies) with bind
# parameters for everything a query changes: SQLAlchemy then neither builds nor keys a
# statement per search (most of a miss's Python time on SQLite). A race builds twice.
_BUILT: dict[Hashable, Select] = {}


def _shown(
    session: Session,
    shape: Hashable,
    build: Callable[[], Select],
    order: Sequence[str],
    params: dict,
    published_by: datetime | None,
) -> Entries:
    """Run a page (`build()`: a select of `item_id` and the columns named in `order`,
    sorted by them descending, with its own OFFSET/LIMIT, taking `params`) joined to the
    items it finds, in one statement; built once per `shape`.

    The join is outer and carries the visibility rules, so every id the page found
    comes back (it counts towards "more") and only a visible item has a row. Sorting
    the page's few rows again outside keeps the order: the inner plan is unchanged
    (a subquery with a LIMIT is planned alone on both engines).
    """
    key = (shape, published_by is not None)
    stmt = _BUILT.get(key)
    if stmt is None:
        found = build().subquery("page")
        visible = and_(_items.c.id == found.c.item_id, _items.c.retracted_at.is_(None))
        if published_by is not None:
            visible = and_(visible, _items.c.published_at <= bindparam("published_by"))
        stmt = (
            select(found.c.item_id.label("page_id"), *[_items.c[name] for name in SHOWN])
            .select_from(found.outerjoin(_items, visible))
            .order_by(*[found.c[name].desc() for name in order])
        )
        _BUILT[key] = stmt
    if published_by is not None:
        params = {**params, "published_by": published_by}
    rows = session.execute(stmt, params)
    return [(row.page_id, row if row.id is not None else None) for row in rows]


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
_title_fts = table("items_title_fts", column("rowid"))
# The FTS5 rowid is published_at (whole seconds) * 2**30 + item id (migration 0006).
_ID_BITS = 30


def _sqlite_groups(query: SearchQuery, title_table: bool = True) -> tuple[Group, Group]:
    """Title matches, then summary-only matches, each read newest first from FTS5.

    FTS5 returns a match's rowids (recency keys) in order, so a page stops
    after `take` rows: no sorting of all matches, however many. Retracted
    items are not in the index. Title matches come from the title-only table
    (migration 0018): its posting lists hold title words alone, where a
    `title :` filter on items_fts walks every occurrence of each word.
    """
    expression = fts5_expression(query)
    in_title = f"title : ({expression})"

    def group(fts, condition: str) -> Group:
        hits = select(fts.c.rowid).where(literal_column(fts.name).op("MATCH")(condition))

        def keys() -> Select:
            matching = literal_column(fts.name).op("MATCH")(bindparam("match", type_=String))
            item_id = (fts.c.rowid % (1 << _ID_BITS)).label("item_id")
            stmt = select(item_id, fts.c.rowid.label("key")).where(matching)
            return stmt.order_by(fts.c.rowid.desc()).offset(_SKIP).limit(_TAKE)

        def page(session: Session, skip: int, take: int, published_by) -> Entries:
            params = {"match": condition, "skip": skip, "take": take}
            return _shown(session, ("fts", fts.name), keys, ["key"], params, published_by)

        def count(session: Session) -> int:
            return session.scalar(select(func.count()).select_from(hits.subquery()))

        return Group(page, count)

    # The rest: NOT walks the title filter only as far as the left side goes.
    rest = group(_fts, f"({expression}) NOT ({in_title})")
    if not title_table:  # a store not yet upgraded to 0018: the column filter
        return group(_fts, in_title), rest
    return group(_title_fts, expression), rest


# Databases (by URL) known to have items_title_fts: asked until it is there, so
# code that runs before `coopnews` upgrades a store still answers the same.
_TITLE_TABLE: set[str] = set()


def _has_title_table(session: Session) -> bool:
    return _schema_reached(
        session,
        _TITLE_TABLE,
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'items_title_fts'",
    )


def _database_key(session: Session) -> str:
    """The session's database URL without its password: the key of per-database memos."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def _schema_reached(session: Session, known: set[str], probe: str) -> bool:
    """Whether the store has some schema object, by `probe` (SQL giving a row when it
    is there): remembered in `known` per database once found, asked again until then
    (a store may be upgraded while this process runs, never downgraded)."""
    key = _database_key(session)
    if key not in known:
        if not session.scalar(sql_text(probe)):
            return False
        known.add(key)
    return True


# -- PostgreSQL --------------------------------------------------------------
def tsquery_text(query: SearchQuery) -> str:
    """A to_tsquery() text; every lexeme single-quoted (plain words only)."""
    parts = []
    for word in query.words:
        forms = [f"'{form}'" for form in variants(word)]
        parts.append(f"({' | '.join(forms)})" if len(forms) > 1 else forms[0])
    for phrase in query.phrases:
        parts.append("(" + " <-> ".join(f"'{w}'" for w in phrase) + ")")
    return " & ".join(parts)


_search = table(
    "items_search",
    column("item_id"),
    column("title_document"),
    column("document"),
    column("published_at"),
)


def _tsquery(text: str):
    # Same folding as the documents (migration 0006): 'simple' config, unaccented.
    return func.to_tsquery(literal_column("'simple'::regconfig"), func.coopnews_unaccent(text))


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
# How long a process trusts the statistics it read (seconds). They move
# slowly (autovacuum's ANALYZE); a wrong guess costs time, never answers.
STATS_SECONDS = 300.0


@dataclass(frozen=True)
class _LexemeStats:
    """Share of items_search rows holding a lexeme, per document; and the row count.
    `known` is False when the table was never analyzed (no statistics at all)."""

    rows: float
    title: dict[str, float]
    document: dict[str, float]
    known: bool = True


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
    count = session.scalar(
        sql_text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('items_search')")
    )
    shares: dict[str, dict[str, float]] = {"title_document": {}, "document": {}}
    for name, lexemes, freqs in rows:
        if lexemes and freqs:
            # The frequency array ends with extra entries (min, max, ...): zip stops early.
            shares[name] = dict(zip(lexemes, freqs, strict=False))
    stats = _LexemeStats(
        max(0.0, float(count or 0)), shares["title_document"], shares["document"], bool(rows)
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


# The query's to_tsquery(), from the bind parameter `tsquery` (a tsquery_text()).
_TSQUERY = _tsquery(bindparam("tsquery", type_=String))


def _in_title(row) -> ColumnElement[bool]:
    return row.title_document.op("@@")(_TSQUERY)


def _in_rest(row) -> ColumnElement[bool]:
    return and_(row.document.op("@@")(_TSQUERY), not_(row.title_document.op("@@")(_TSQUERY)))


_PG_MATCHES = {"title": _in_title, "rest": _in_rest}


def _postgres_groups(session: Session, query: SearchQuery) -> tuple[Group, Group]:
    """Title matches, then the rest, each newest first.

    Every plan reads items_search alone (migration 0021): its `published_at`
    is the item's date while the item is visible and NULL while it is
    retracted, and ix_items_search_newest walks the visible rows newest first.
    """
    # The statements take the query as a bind parameter (`tsquery`): built once each.
    text = {"tsquery": tsquery_text(query)}
    stats = _lexeme_stats(session)
    title_share = _share(query, stats.title)
    # Matches in the summary only: what matches anywhere minus what matches the title.
    rest_share = max(0.0, _share(query, stats.document) - title_share)
    rows = _search.c
    visible = rows.published_at.is_not(None)
    newest_first = ["published_at", "item_id"]

    def group(name: str, share: float) -> Group:
        matches = _PG_MATCHES[name]
        hits = select(rows.item_id, rows.published_at).where(matches(rows), visible)
        expected = max(1.0, share * stats.rows)

        def dense(session: Session, skip: int, take: int, published_by) -> Entries:
            def build() -> Select:
                # MATERIALIZED: the matches through the GIN index, then sorted; the
                # planner must not turn a rare word into a walk of the whole date index.
                source = hits.cte("matched").prefix_with("MATERIALIZED")
                return (
                    select(source.c.item_id, source.c.published_at)
                    .order_by(source.c.published_at.desc(), source.c.item_id.desc())
                    .offset(_SKIP)
                    .limit(_TAKE)
                )

            params = {**text, "skip": skip, "take": take}
            return _shown(session, ("dense", name), build, newest_first, params, published_by)

        def walk(
            session: Session, skip: int, take: int, published_by, bounded: bool
        ) -> Entries | None:
            """The page read along ix_items_search_newest, or None when a bounded
            walk gave up. Each row walked is matched where it is (its documents)."""
            by_date = (rows.published_at.desc(), rows.item_id.desc())
            bound = None
            if bounded and share > 0:
                bound = int((skip + take) / share * WALK_SLACK) + WALK_MIN
                if bound >= stats.rows:
                    bound = None  # the whole index: no bound to stop at
            params = {**text, "skip": skip, "take": take}
            if bound is None:

                def whole() -> Select:
                    # coalesce() hides the match from the planner, which would otherwise
                    # be free to fetch every match through the GIN index and sort them.
                    matching = func.coalesce(matches(rows), false())
                    stmt = select(rows.item_id, rows.published_at).where(visible, matching)
                    return stmt.order_by(*by_date).offset(_SKIP).limit(_TAKE)

                return _shown(session, ("walk", name), whole, newest_first, params, published_by)

            def window() -> Select:
                # The window's LIMIT keeps the match out of its scan (never pushed into
                # a subquery with a LIMIT): the walk stops after `bound` rows.
                bounded = bindparam("bound", type_=Integer)
                newest = select(_search).where(visible).order_by(*by_date).limit(bounded)
                newest = newest.subquery("newest")
                return (
                    select(newest.c.item_id, newest.c.published_at)
                    .where(matches(newest.c))
                    .order_by(newest.c.published_at.desc(), newest.c.item_id.desc())
                    .offset(_SKIP)
                    .limit(_TAKE)
                )

            params["bound"] = bound
            found = _shown(session, ("window", name), window, newest_first, params, published_by)
            if len(found) < take:
                return None  # the window may have ended before the page did
            return found

        def page(session: Session, skip: int, take: int, published_by) -> Entries:
            if stats.known:
                # The statistics' guess decides, without reading the GIN index (which
                # decodes every posting list whole): a walk when the group is expected
                # to be big, bounded in case the guess was wrong.
                if expected >= DENSE_MATCHES:
                    found = walk(session, skip, take, published_by, bounded=True)
                    if found is not None:
                        return found
                return dense(session, skip, take, published_by)
            # No statistics yet (never analyzed, e.g. just after a big import):
            # count up to the threshold, and walk to the end if it is reached.
            capped = select(func.count()).select_from(hits.limit(DENSE_MATCHES).subquery())
            if session.scalar(capped, text) >= DENSE_MATCHES:
                return walk(session, skip, take, published_by, bounded=False)
            return dense(session, skip, take, published_by)

        def count(session: Session) -> int:
            source = hits.cte("matched").prefix_with("MATERIALIZED")
            return session.scalar(select(func.count()).select_from(source), text)

        return Group(page, count)

    return group("title", title_share), group("rest", rest_share)


# Databases (by URL) known to have items_search.published_at (migration 0021): asked
# until it is there, so code that runs before `coopnews` upgrades a store still answers.
_DATED: set[str] = set()


def _has_search_dates(session: Session) -> bool:
    return _schema_reached(
        session,
        _DATED,
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = 'items_search' AND column_name = 'published_at'",
    )


def _postgres_undated_groups(query: SearchQuery) -> tuple[Group, Group]:
    """A store not yet upgraded to 0021: every match through the GIN index, joined to
    items for its date and visibility, sorted. The same answers, slower."""
    text = {"tsquery": tsquery_text(query)}

    def group(name: str) -> Group:
        condition = _PG_MATCHES[name](_search.c)

        def matched():
            source = select(_search.c.item_id).where(condition).cte("matched")
            source = source.prefix_with("MATERIALIZED")
            visible = select(Item.id.label("item_id")).join(source, source.c.item_id == Item.id)
            return visible.where(Item.retracted_at.is_(None))

        def newest() -> Select:
            stmt = matched().add_columns(Item.published_at)
            stmt = stmt.order_by(Item.published_at.desc(), Item.id.desc())
            return stmt.offset(_SKIP).limit(_TAKE)

        def page(session: Session, skip: int, take: int, published_by) -> Entries:
            params = {**text, "skip": skip, "take": take}
            order = ["published_at", "item_id"]
            return _shown(session, ("undated", name), newest, order, params, published_by)

        def count(session: Session) -> int:
            stmt = select(func.count()).select_from(matched().subquery())
            return session.scalar(stmt, text)

        return Group(page, count)

    return group("title"), group("rest")


# -- the operations ------------------------------------------------------------
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
    if dialect == "postgresql" and query:
        query = _unaccented(session, query)
    if not query:
        return SearchPage([], False)
    if dialect == "sqlite":
        groups = _sqlite_groups(query, _has_title_table(session))
    elif dialect == "postgresql" and not _has_search_dates(session):
        groups = _postgres_undated_groups(query)
    elif dialect == "postgresql":
        groups = _postgres_groups(session, query)
    else:
        raise RuntimeError(f"unsupported database: {dialect}")
    # One statement per group read: each finds its page and reads the shown fields of
    # its items (`_shown`); the second group only when the first ends within the page.
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
    rows = [row for _, row in entries if row is not None]
    return SearchPage(rows[:limit], len(entries) > limit)
