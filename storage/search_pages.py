"""A page of one search ranking group, read with the shown fields of its items.

Shared by both engines' plans (storage/search_fts5.py, storage/search_tsvector.py):
each builds a select of the page's item ids in its own way, and `read_page` joins it to
`items` for what a page shows, in one statement, built once per shape.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import Integer, Row, Select, and_, bindparam, select
from sqlalchemy.orm import Session

from storage.models import Item

# What a page shows of each item (bot/blocks/items.py, bot/public/news.py): read in the
# statement that finds the page, as Core rows, not ORM entities.
SHOWN = ("id", "title", "url", "category", "summary", "published_at", "origin", "source_id")
# The page's OFFSET and LIMIT, as bind parameters of every page statement.
SKIP = bindparam("skip", type_=Integer)
TAKE = bindparam("take", type_=Integer)

# A page of one group: (item id, its row, or None when the item is not shown: retracted,
# or dated after `published_by`), newest first.
Entries = list[tuple[int, Row | None]]

_items = Item.__table__


class Group(Protocol):
    """One ranking group of matches (title matches, or the rest)."""

    def page(
        self, session: Session, skip: int, take: int, published_by: datetime | None
    ) -> Entries:
        """Up to `take` entries newest first from the `skip`th match (see `read_page`)."""

    def count(self, session: Session) -> int:
        """How many items the group matches (retracted ones excluded by each engine's index)."""


# Page statements, built once per shape (and whether a date limit applies) with bind
# parameters for everything a query changes: SQLAlchemy then neither builds nor keys a
# statement per search (most of a miss's Python time on SQLite). A race builds twice.
_BUILT: dict[Hashable, Select] = {}


def read_page(
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
