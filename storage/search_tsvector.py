"""PostgreSQL's search plan: each ranking group read from items_search alone.

items_search (migration 0006; dates since 0021) holds per item tsvectors of its
unaccented title (`title_document`) and title + summary (`document`), split at
punctuation as the query's words are (migration 0024), with GIN
indexes, and `published_at`: the item's date while it is visible, NULL while it is
retracted; ix_items_search_newest walks the visible rows newest first.

A page of a group is read one of two ways, chosen per page by `choose_read` (a pure
function of the planner statistics' guess and the page wanted):

- sort: every match through the GIN index, sorted by date (cheap when few match);
- walk: along the date index, matching each row where it is, stopping after the page
  (cheap when many match: they are near the top). A walk is bounded when the guess
  may be wrong; a bounded walk that ends before its page did gives up, and the page
  is sorted instead.
- sieve (title matches only): a bounded walk of the date index alone, which carries
  each title's 256-bit signature (migration 0022): a row missing one of the query's
  words there cannot match, and only the rows left are read and matched. It reads far
  fewer heap pages than a sort or a walk, from a few hundred expected matches up.

Entry point: `tsvector_groups(query, guesses, tuning)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    ColumnElement,
    Integer,
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
from sqlalchemy.orm import Session

from domain.words import SearchQuery, variants
from storage.search_pages import SKIP, TAKE, Entries, read_page


def tsquery_text(query: SearchQuery) -> str:
    """A to_tsquery() text; every lexeme single-quoted (plain words only)."""
    parts = []
    for word in query.words:
        forms = [f"'{form}'" for form in variants(word)]
        parts.append(f"({' | '.join(forms)})" if len(forms) > 1 else forms[0])
    for phrase in query.phrases:
        parts.append("(" + " <-> ".join(f"'{w}'" for w in phrase) + ")")
    return " & ".join(parts)


# -- the choice of a page's read (pure) -----------------------------------------
@dataclass(frozen=True)
class Tuning:
    """Where the reads meet (storage/search.py's DENSE_MATCHES, WALK_SLACK, WALK_MIN,
    SIEVE_MATCHES).

    `dense_matches`: a group expected to match fewer items is sorted, a bigger one
    walked; `walk_slack`, `walk_min`: a bounded walk (or sieve) reads at most
    `walk_slack` times the rows its expected density needs for the page, plus
    `walk_min`; `sieve_matches`: a title group expected to match fewer items is
    sorted, a bigger one sieved while the sieve's bound stays within the table and
    at least `sieve_visible` of the table's pages are all-visible."""

    dense_matches: int
    walk_slack: float
    walk_min: int
    sieve_matches: int
    sieve_visible: float


@dataclass(frozen=True)
class Guess:
    """The statistics' guess for one group: the share of items_search rows matching
    (0 to 1), the table's row count, and the share of its pages all-visible."""

    share: float
    rows: float
    visible: float = 1.0

    @property
    def expected(self) -> float:
        """Matches expected, at least 1."""
        return max(1.0, self.share * self.rows)


@dataclass(frozen=True)
class Read:
    """How a page is read: "sort", "walk" (`bound`: rows of the date index read at
    most before giving up and sorting; None: to the end, never gives up), "sieve"
    (`bound` as a walk's, never None), or "count" (no statistics: count the matches up
    to `bound` first, then `choose_counted`)."""

    kind: Literal["sort", "walk", "sieve", "count"]
    bound: int | None = None


SORT = Read("sort")


def _bound(guess: Guess, tuning: Tuning, skip: int, take: int) -> int:
    return int((skip + take) / guess.share * tuning.walk_slack) + tuning.walk_min


def choose_read(
    guess: Guess | None, tuning: Tuning, skip: int, take: int, sieve: bool = False
) -> Read:
    """The read of a page of `take` matches after `skip`, from the group's `guess`
    (None: the table was never analyzed, no statistics at all); `sieve`: the group
    can be sieved (title matches).

    The guess decides without reading the GIN index (any use of it decodes the whole
    posting list of every word): a sieve when a title group is expected to hold a
    few hundred matches or more, its bound stays within the table and most of the
    table's pages are all-visible (an index-only read); else a walk
    when the group is expected to be big, bounded in case the guess was wrong, unless
    the bound would reach the last row anyway; else a sort."""
    if guess is None:
        return Read("count", tuning.dense_matches)
    sievable = sieve and guess.share > 0 and guess.visible >= tuning.sieve_visible
    if sievable and guess.expected >= tuning.sieve_matches:
        bound = _bound(guess, tuning, skip, take)
        if bound < guess.rows:
            return Read("sieve", bound)
    if guess.expected < tuning.dense_matches:
        return SORT
    if guess.share <= 0:
        return Read("walk")
    bound = _bound(guess, tuning, skip, take)
    return Read("walk", bound if bound < guess.rows else None)


def choose_counted(counted: int, tuning: Tuning) -> Read:
    """The read after a "count" one: `counted` matches (capped at the threshold)
    reaching the threshold walk the date index to the end; fewer are sorted."""
    return Read("walk") if counted >= tuning.dense_matches else SORT


# -- the statements ----------------------------------------------------------------
_search = table(
    "items_search",
    column("item_id"),
    column("title_document"),
    column("document"),
    column("published_at"),
    column("title_bits"),
)


def _tsquery(text):
    # Same folding as the documents (migration 0006): 'simple' config, unaccented.
    return func.to_tsquery(literal_column("'simple'::regconfig"), func.coopnews_unaccent(text))


# The query's to_tsquery(), from the bind parameter `tsquery` (a tsquery_text()).
_TSQUERY = _tsquery(bindparam("tsquery", type_=String))


def _in_title(row) -> ColumnElement[bool]:
    return row.title_document.op("@@")(_TSQUERY)


def _in_rest(row) -> ColumnElement[bool]:
    return and_(row.document.op("@@")(_TSQUERY), not_(row.title_document.op("@@")(_TSQUERY)))


_MATCHES = {"title": _in_title, "rest": _in_rest}
_rows = _search.c
_VISIBLE = _rows.published_at.is_not(None)
_BY_DATE = (_rows.published_at.desc(), _rows.item_id.desc())
_NEWEST_FIRST = ["published_at", "item_id"]


def _hits(name: str) -> Select:
    """The group's visible matches: item id and date."""
    return select(_rows.item_id, _rows.published_at).where(_MATCHES[name](_rows), _VISIBLE)


def _sorted(name: str) -> Select:
    # MATERIALIZED: the matches through the GIN index, then sorted; the planner
    # must not turn a rare word into a walk of the whole date index.
    source = _hits(name).cte("matched").prefix_with("MATERIALIZED")
    return (
        select(source.c.item_id, source.c.published_at)
        .order_by(source.c.published_at.desc(), source.c.item_id.desc())
        .offset(SKIP)
        .limit(TAKE)
    )


def _walked(name: str) -> Select:
    # coalesce() hides the match from the planner, which would otherwise be free to
    # fetch every match through the GIN index and sort them.
    matching = func.coalesce(_MATCHES[name](_rows), false())
    stmt = select(_rows.item_id, _rows.published_at).where(_VISIBLE, matching)
    return stmt.order_by(*_BY_DATE).offset(SKIP).limit(TAKE)


def _window(name: str) -> Select:
    # The window's LIMIT keeps the match out of its scan (never pushed into a
    # subquery with a LIMIT): the walk stops after `bound` rows.
    bound = bindparam("bound", type_=Integer)
    newest = select(_search).where(_VISIBLE).order_by(*_BY_DATE).limit(bound).subquery("newest")
    return (
        select(newest.c.item_id, newest.c.published_at)
        .where(_MATCHES[name](newest.c))
        .order_by(newest.c.published_at.desc(), newest.c.item_id.desc())
        .offset(SKIP)
        .limit(TAKE)
    )


# The query's words a sieve checks (term0 ... term3, in the bind parameters): each
# word's forms, or a phrase's word. A row must share a bit with each (the rest of a
# longer query is matched on the rows left, as every word is).
SIEVE_TERMS = 4


def sieve_terms(query: SearchQuery) -> dict[str, str | None]:
    """The bind parameters of a sieve: up to SIEVE_TERMS texts of forms separated by
    spaces, None for an unused one (coopnews_term_bits: no constraint)."""
    terms = [" ".join(variants(word)) for word in query.words]
    terms += [word for phrase in query.phrases for word in phrase]
    terms = (terms + [None] * SIEVE_TERMS)[:SIEVE_TERMS]
    return {f"term{number}": term for number, term in enumerate(terms)}


def _sieved(name: str) -> Select:
    # The window's LIMIT bounds the rows walked (index-only: item id, date and the
    # title's bits); the bits of each term are computed once (InitPlans), and a row
    # left is matched on its documents by a correlated subquery (a probe of the
    # primary key), which the planner cannot turn into a join of every match.
    bound = bindparam("bound", type_=Integer)
    window = select(_rows.item_id, _rows.published_at, _rows.title_bits).where(_VISIBLE)
    window = window.order_by(*_BY_DATE).limit(bound).subquery("newest")
    terms = [
        select(func.coopnews_term_bits(bindparam(f"term{n}", type_=String))).scalar_subquery()
        for n in range(SIEVE_TERMS)
    ]
    row = _search.alias("row")
    matched = select(_MATCHES[name](row.c)).where(row.c.item_id == window.c.item_id)
    return (
        select(window.c.item_id, window.c.published_at)
        .where(*[func.coopnews_bits_meet(window.c.title_bits, term) for term in terms])
        .where(matched.scalar_subquery())
        .order_by(window.c.published_at.desc(), window.c.item_id.desc())
        .offset(SKIP)
        .limit(TAKE)
    )


@dataclass(frozen=True)
class TsvectorGroup:
    """One group ("title" or "rest") of a query (`tsquery`: a tsquery_text();
    `terms`: its sieve_terms()), with its statistics' guess (None: none) and the
    reads' tuning. Only the title group is sieved (the bits are the title's)."""

    name: Literal["title", "rest"]
    tsquery: str
    guess: Guess | None
    tuning: Tuning
    terms: dict[str, str | None]

    def page(
        self, session: Session, skip: int, take: int, published_by: datetime | None
    ) -> Entries:
        read = choose_read(self.guess, self.tuning, skip, take, sieve=self.name == "title")
        if read.kind == "count":
            read = choose_counted(self._capped_count(session, read.bound), self.tuning)
        params = {"tsquery": self.tsquery, "skip": skip, "take": take}
        if read.kind == "walk" and read.bound is None:
            return self._read(session, "walk", _walked, params, published_by)
        if read.kind in ("walk", "sieve"):
            params["bound"] = read.bound
            if read.kind == "sieve":
                params.update(self.terms)
                found = self._read(session, "sieve", _sieved, params, published_by)
            else:
                found = self._read(session, "window", _window, params, published_by)
            if len(found) == take:
                return found
            # The window ended before the page did: the guess was wrong, sort instead.
        return self._read(session, "dense", _sorted, params, published_by)

    def _read(self, session: Session, shape: str, build, params: dict, published_by) -> Entries:
        """The page of statement `build(name)` (built once per shape and group)."""
        return read_page(
            session,
            (shape, self.name),
            lambda: build(self.name),
            _NEWEST_FIRST,
            params,
            published_by,
        )

    def _capped_count(self, session: Session, cap: int) -> int:
        capped = select(func.count()).select_from(_hits(self.name).limit(cap).subquery())
        return session.scalar(capped, {"tsquery": self.tsquery})

    def count(self, session: Session) -> int:
        source = _hits(self.name).cte("matched").prefix_with("MATERIALIZED")
        return session.scalar(select(func.count()).select_from(source), {"tsquery": self.tsquery})


def tsvector_groups(
    query: SearchQuery, guesses: tuple[Guess, Guess] | None, tuning: Tuning
) -> tuple[TsvectorGroup, TsvectorGroup]:
    """Title matches, then the rest, each newest first, for a non-empty `query` as
    PostgreSQL's unaccent folds it; `guesses`: the statistics' guess for each (None:
    the table was never analyzed)."""
    text, terms = tsquery_text(query), sieve_terms(query)
    title, rest = guesses or (None, None)
    return (
        TsvectorGroup("title", text, title, tuning, terms),
        TsvectorGroup("rest", text, rest, tuning, terms),
    )
