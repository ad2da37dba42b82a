"""What App Home shows besides items: subscribed channels and the sources' health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import (
    ScheduledItem,
    ScheduledState,
    Source,
    Subscription,
    Suggestion,
    SuggestionState,
)
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
    return sources_health_and_count(session, limit)[0]


def sources_health_and_count(
    session: Session, limit: int = HOME_LIST_LIMIT
) -> tuple[list[SourceHealth], int]:
    """`sources_health`, and how many sources there are (from the same read: every
    source is read to sort them, so no count query)."""
    every = list_sources(session)
    rows = sorted(
        every,
        key=lambda row: (-row.source.failures, row.source.title or "", row.source.url),
    )
    listed = [
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
    return listed, len(every)


def count_sources(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Source))


def pending_suggestions(session: Session, limit: int) -> tuple[Sequence[Suggestion], int]:
    """What storage.suggestions.pending(session, limit) and count_pending(session) say,
    in one read (the count is a window over the same rows, taken before the LIMIT)."""
    stmt = (
        select(Suggestion, func.count().over())
        .where(Suggestion.state == SuggestionState.PENDING)
        .order_by(Suggestion.created_at, Suggestion.id)
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


def upcoming_scheduled(session: Session, limit: int) -> tuple[Sequence[ScheduledItem], int]:
    """What storage.scheduled.upcoming(session, limit) and count_pending(session) say,
    in one read."""
    stmt = (
        select(ScheduledItem, func.count().over())
        .where(ScheduledItem.state == ScheduledState.PENDING)
        .order_by(ScheduledItem.publish_at, ScheduledItem.id)
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    return [row[0] for row in rows], (rows[0][1] if rows else 0)
