"""Published items for the public feeds: what is visible now, and how to tell it changed.

Published means stored, not retracted and dated no later than now (admins and
feeds may date an item a little ahead; it appears when its time comes).
Callers own the session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.categories import category_key
from storage.models import Item, Source

# The figure: the 50 newest published items per feed.
FEED_SIZE = 50


@dataclass(frozen=True)
class FeedState:
    """What the feeds' validators (ETag, Last-Modified) are made of.

    `last_change`: the newest `updated_at` of any item (additions, corrections and
    retractions all set it). `newest_published`: the newest `published_at` not after
    now, so an item dated ahead changes the state when its time comes. Both are None
    on an empty store.
    """

    last_change: datetime | None
    newest_published: datetime | None

    @property
    def last_modified(self) -> datetime | None:
        moments = [m for m in (self.last_change, self.newest_published) if m is not None]
        return max(moments) if moments else None


def feed_state(session: Session, now: datetime) -> FeedState:
    """One query, two index seeks (ix_items_updated, ix_items_published).

    It covers every category at once: a change in one category also renews the
    others' validators, which costs a client one full read, never a stale feed.
    """
    last_change = select(func.max(Item.updated_at)).scalar_subquery()
    newest = select(func.max(Item.published_at)).where(Item.published_at <= now).scalar_subquery()
    row = session.execute(select(last_change, newest)).one()
    return FeedState(*row)


def published_items(
    session: Session, now: datetime, category: str | None = None, n: int = FEED_SIZE
) -> Sequence[Item]:
    """The n newest published items (one category, in any case, when given), newest first."""
    stmt = select(Item).where(Item.retracted_at.is_(None), Item.published_at <= now)
    if category:
        stmt = stmt.where(Item.category_key == category_key(category))
    stmt = stmt.order_by(Item.published_at.desc(), Item.id.desc()).limit(n)
    return session.scalars(stmt).all()


def source_titles(session: Session, source_ids: Iterable[int | None]) -> dict[int, str]:
    """Source id -> its title (or URL), for the sources of the items on one page."""
    wanted = {i for i in source_ids if i is not None}
    if not wanted:
        return {}
    stmt = select(Source.id, func.coalesce(Source.title, Source.url)).where(Source.id.in_(wanted))
    return dict(session.execute(stmt).all())
