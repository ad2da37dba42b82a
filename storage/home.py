"""What App Home shows besides items: subscribed channels and the sources' health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Source, Subscription
from storage.sources import list_sources

# App Home shows at most this many channels and sources; the rest are counted.
HOME_LIST_LIMIT = 20


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
    rows = sorted(
        list_sources(session),
        key=lambda row: (-row.source.failures, row.source.title or "", row.source.url),
    )
    return [
        SourceHealth(
            url=row.source.url,
            title=row.source.title,
            paused_at=row.source.paused_at,
            last_success_at=row.source.last_success_at,
            last_error=row.source.last_error,
            failures=row.source.failures,
            items=row.item_count,
        )
        for row in rows[:limit]
    ]


def count_sources(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Source))
