"""The featured item: at most one, shown first for FEATURE_DAYS or until unfeatured.

One row with a fixed primary key (storage.models.Featured, id 1): featuring
writes it with one upsert, so two admins featuring at once leave exactly one
featured item (the later write wins), and unfeaturing deletes it. A retracted
or expired item is never returned as featured. Callers own the session; every
change is audited (storage.curation.record).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, delete, func, literal, select, union_all
from sqlalchemy.orm import Session

from storage import curation
from storage.categories import category_key
from storage.db import upsert_insert
from storage.models import Featured, Item
from storage.store import MAX_LATEST
from storage.types import utcnow

FEATURE_DAYS = 7
FEATURE_ID = 1
FEATURED, UNFEATURED = "featured", "unfeatured"


def current(
    session: Session, now: datetime | None = None, category: str | None = None
) -> Item | None:
    """The featured item if it is still featured at `now` and visible; with `category`,
    only if it is in that category (matched as `latest` matches: case-insensitive)."""
    now = now or utcnow()
    stmt = (
        select(Item)
        .join(Featured, Featured.item_id == Item.id)
        .where(Featured.featured_until > now, Item.retracted_at.is_(None))
    )
    if category:
        stmt = stmt.where(Item.category_key == category_key(category))
    return session.scalars(stmt.limit(1)).first()


def current_id(session: Session, now: datetime | None = None) -> int | None:
    """The featured item's id under the same rules as `current` (one Core read, no
    entity loaded)."""
    return session.execute(_CURRENT_ID, {"now": now or utcnow()}).scalar()


# Prebuilt Core statements (built once, compiled once per dialect by SQLAlchemy's cache):
# reading rows, not ORM entities, costs about half as much per request.
_items, _featured = Item.__table__, Featured.__table__
_visible_featured = _featured.join(_items, _items.c.id == _featured.c.item_id)
_CURRENT_ID = (
    select(_featured.c.item_id)
    .select_from(_visible_featured)
    .where(_featured.c.featured_until > bindparam("now"), _items.c.retracted_at.is_(None))
    .limit(1)
)
_LISTED = [_items.c[name] for name in ("id", "title", "url", "category", "summary",
                                         "published_at")]  # fmt: skip


def _front_page_statement(by_category: str):
    """The featured item (flag 1) and one page of the others (flag 0), newest first."""
    pinned = (
        select(literal(1).label("pinned"), *_LISTED)
        .select_from(_visible_featured)
        .where(_featured.c.featured_until > bindparam("now"), _items.c.retracted_at.is_(None))
        .limit(1)
    )
    # The featured item leaves every page only while it is featured (as `current` says);
    # one lookup of the one-row table, done once per statement.
    shown_apart = select(_featured.c.item_id).where(_featured.c.featured_until > bindparam("now"))
    page = select(literal(0).label("pinned"), *_LISTED).where(
        _items.c.retracted_at.is_(None),
        _items.c.id != func.coalesce(shown_apart.scalar_subquery(), 0),
    )
    if by_category != "all":
        # "none": a category of blanks, whose key is None (as `latest_page` filters it).
        same = (
            _items.c.category_key == bindparam("key")
            if by_category == "key"
            else _items.c.category_key.is_(None)
        )
        pinned, page = pinned.where(same), page.where(same)
    page = (
        page.order_by(_items.c.published_at.desc(), _items.c.id.desc())
        .offset(bindparam("offset"))
        .limit(bindparam("take"))
    )
    # Each part a subquery: SQLite allows no LIMIT on the members of a compound select.
    parts = [part.subquery() for part in (pinned, page)]
    return union_all(*(select(*part.c) for part in parts))


_FRONT_PAGE = {by: _front_page_statement(by) for by in ("all", "key", "none")}


@dataclass(frozen=True)
class FrontPage:
    """`latest`'s page as one read: the featured item (if featured now, visible and in the
    category), then the page's items without it, newest first, and whether older remain.
    Rows have the listed fields of an item (id, title, url, category, summary,
    published_at), not ORM entities."""

    featured: Row | None
    items: Sequence[Row]
    older: bool


def front_page(
    session: Session,
    n: int,
    category: str | None = None,
    offset: int = 0,
    now: datetime | None = None,
) -> FrontPage:
    """What `current(session, now, category)` and then `store.latest_page(session, n,
    category, offset, exclude_id=<its id>)` return, in one statement. `n` is held to
    1..MAX_LATEST."""
    n = max(1, min(n, MAX_LATEST))
    key = category_key(category) if category else None
    params = {"now": now or utcnow(), "offset": max(0, offset), "take": n + 1}
    if key is not None:
        params["key"] = key
    by = "all" if not category else "key" if key is not None else "none"
    rows = session.execute(_FRONT_PAGE[by], params).all()
    pinned = next((row for row in rows if row.pinned), None)
    page = sorted((row for row in rows if not row.pinned),
                  key=lambda row: (row.published_at, row.id), reverse=True)  # fmt: skip
    return FrontPage(pinned, page[:n], len(page) > n)


def feature(session: Session, item: Item, user_id: str, now: datetime | None = None) -> datetime:
    """Feature `item` until now + FEATURE_DAYS, replacing any other; returns the end.

    Raises ValueError for a retracted item (it is never featured).
    """
    if item.retracted_at is not None:
        raise ValueError("a retracted item cannot be featured")
    now = now or utcnow()
    until = now + timedelta(days=FEATURE_DAYS)
    row = {
        "id": FEATURE_ID,
        "item_id": item.id,
        "featured_until": until,
        "featured_by": user_id,
        "featured_at": now,
    }
    stmt = upsert_insert(session, Featured).values(row)
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={
            k: stmt.excluded[k] for k in ("item_id", "featured_until", "featured_by", "featured_at")
        },
    )
    session.execute(stmt)
    curation.record(session, user_id, FEATURED, item, f"until {until:%Y-%m-%d %H:%M} UTC")
    return until


def unfeature(session: Session, item: Item, user_id: str) -> bool:
    """Stop featuring `item`; False when it was not the featured one (nothing changes)."""
    result = session.execute(
        delete(Featured).where(Featured.id == FEATURE_ID, Featured.item_id == item.id)
    )
    if not result.rowcount:
        return False
    curation.record(session, user_id, UNFEATURED, item)
    return True
