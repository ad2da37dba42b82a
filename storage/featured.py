"""The featured item: at most one, shown first for FEATURE_DAYS or until unfeatured.

One row with a fixed primary key (storage.models.Featured, id 1): featuring
writes it with one upsert, so two admins featuring at once leave exactly one
featured item (the later write wins), and unfeaturing deletes it. A retracted
or expired item is never returned as featured. Callers own the session; every
change is audited (storage.curation.record).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage import curation
from storage.categories import category_key
from storage.db import upsert_insert
from storage.models import Featured, Item
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
    item = current(session, now)
    return item.id if item else None


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
