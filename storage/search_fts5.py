"""SQLite's search plan: both ranking groups read newest first from FTS5.

The tables are migration 0006's `items_fts` (title and summary) and migration 0018's
`items_title_fts` (titles alone). Their rowid is a recency key, published_at (whole
seconds) * 2**30 + item id (migration 0006), and FTS5 returns a match's rowids in
order, so a page stops after `take` rows: no sorting of all matches, however many.
Retracted items are not in the index. Entry point: `fts5_groups(query)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Select,
    String,
    TableClause,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from domain.words import SearchQuery, variants
from storage.search_pages import SKIP, TAKE, Entries, read_page

_fts = table("items_fts", column("rowid"))
_title_fts = table("items_title_fts", column("rowid"))
_ID_BITS = 30


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


def _matching(fts: TableClause, condition):
    return literal_column(fts.name).op("MATCH")(condition)


def _keys(fts: TableClause) -> Select:
    """A page of the table's matches newest first: item id and recency key."""
    item_id = (fts.c.rowid % (1 << _ID_BITS)).label("item_id")
    stmt = select(item_id, fts.c.rowid.label("key"))
    stmt = stmt.where(_matching(fts, bindparam("match", type_=String)))
    return stmt.order_by(fts.c.rowid.desc()).offset(SKIP).limit(TAKE)


@dataclass(frozen=True)
class Fts5Group:
    """The items of one FTS5 table matching `condition` (a MATCH expression)."""

    fts: TableClause
    condition: str

    def page(
        self, session: Session, skip: int, take: int, published_by: datetime | None
    ) -> Entries:
        params = {"match": self.condition, "skip": skip, "take": take}
        shape = ("fts", self.fts.name)
        return read_page(session, shape, lambda: _keys(self.fts), ["key"], params, published_by)

    def count(self, session: Session) -> int:
        hits = select(self.fts.c.rowid).where(_matching(self.fts, self.condition))
        return session.scalar(select(func.count()).select_from(hits.subquery()))


def fts5_groups(query: SearchQuery) -> tuple[Fts5Group, Fts5Group]:
    """Title matches, then summary-only matches (a non-empty `query`).

    Title matches come from the title-only table (migration 0018): its posting lists
    hold title words alone, where a `title :` filter on items_fts walks every
    occurrence of each word. The rest: NOT walks the title filter only as far as the
    left side goes."""
    expression = fts5_expression(query)
    in_title = f"title : ({expression})"
    return Fts5Group(_title_fts, expression), Fts5Group(_fts, f"({expression}) NOT ({in_title})")
