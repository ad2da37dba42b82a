"""What App Home shows besides items: subscribed channels and the sources' health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Item, Source, Subscription

# App Home shows at most this many channels and sources; the rest are counted.
HOME_LIST_LIMIT = 20


def subscriptions(session: Session, limit: int = HOME_LIST_LIMIT) -> Sequence[Subscription]:
    stmt = select(Subscription).order_by(Subscription.created_at, Subscription.id).limit(limit)
    return session.scalars(stmt).all()


def count_subscriptions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Subscription))


@dataclass(frozen=True)
class SourceHealth:
    url: str
    title: str | None
    paused_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    failures: int
    items: int


def sources_health(session: Session, limit: int = HOME_LIST_LIMIT) -> list[SourceHealth]:
    """Sources, failing ones first, each with how many items it brought."""
    item_count = (
        select(func.count()).where(Item.source_id == Source.id).correlate(Source).scalar_subquery()
    )
    stmt = (
        select(Source, item_count)
        .order_by(Source.failures.desc(), Source.title, Source.url)
        .limit(limit)
    )
    return [
        SourceHealth(
            url=source.url,
            title=source.title,
            paused_at=source.paused_at,
            last_success_at=source.last_success_at,
            last_error=source.last_error,
            failures=source.failures,
            items=items,
        )
        for source, items in session.execute(stmt)
    ]


def count_sources(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Source))
