"""Store operations for sources (feeds and listings the worker polls). Callers own the session."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Item, Source
from storage.store import AddResult, ItemDraft, add_items

DEFAULT_INTERVAL = 30 * 60
MIN_INTERVAL = 5 * 60
# Backoff doubles per failure in a row, up to this (or the source's interval, if longer).
MAX_BACKOFF = 6 * 60 * 60
# Failures in a row after which the admin who added the source is told (once).
ALERT_AFTER_FAILURES = 5


class SourceExists(Exception):
    def __init__(self, source: Source) -> None:
        super().__init__(f"already followed as source {source.id}")
        self.source = source


@dataclass(frozen=True)
class SourceRow:
    """A source with its item count, for lists and the App Home."""

    source: Source
    item_count: int


def backoff_delay(interval: int, failures: int) -> timedelta:
    """Seconds until the next try after `failures` failures in a row: doubling, capped."""
    if failures <= 0:
        return timedelta(seconds=interval)
    cap = max(interval, MAX_BACKOFF)
    return timedelta(seconds=min(interval * 2 ** min(failures, 20), cap))


def find_by_url(session: Session, url: str) -> Source | None:
    """The source followed at `url`: as added, or the feed discovered from it (a page's
    feed, which `sources export` writes as the xmlUrl), so neither is followed twice."""
    stmt = select(Source).where(or_(Source.url == url, Source.feed_url == url))
    return session.scalar(stmt.order_by(Source.id).limit(1))


def create_source(
    session: Session,
    *,
    url: str,
    now: datetime,
    feed_url: str | None = None,
    kind: str | None = None,
    title: str | None = None,
    category: str | None = None,
    created_by: str | None = None,
    interval_seconds: int = DEFAULT_INTERVAL,
) -> Source:
    # A page whose feed is already followed (or the reverse) is the same source.
    existing = find_by_url(session, url) or (find_by_url(session, feed_url) if feed_url else None)
    if existing is not None:
        raise SourceExists(existing)
    source = Source(
        url=url,
        feed_url=feed_url,
        kind=kind,
        title=title,
        category=category,
        created_by=created_by,
        created_at=now,
        interval_seconds=interval_seconds,
        failures=0,
        next_poll_at=now,
    )
    session.add(source)
    session.flush()
    return source


def get_source(session: Session, source_id: int) -> Source | None:
    return session.get(Source, source_id)


def list_sources(session: Session) -> list[SourceRow]:
    counts = (
        select(Item.source_id, func.count().label("n"))
        .where(Item.source_id.is_not(None), Item.retracted_at.is_(None))
        .group_by(Item.source_id)
        .subquery()
    )
    stmt = (
        select(Source, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.source_id == Source.id)
        .order_by(Source.id)
    )
    return [SourceRow(source, count) for source, count in session.execute(stmt)]


def remove_source(session: Session, source_id: int) -> Source | None:
    """Stop following a source; its items stay (their source_id becomes NULL)."""
    source = session.get(Source, source_id)
    if source is None:
        return None
    session.execute(update(Item).where(Item.source_id == source_id).values(source_id=None))
    session.delete(source)
    return source


def set_paused(session: Session, source_id: int, paused: bool, now: datetime) -> Source | None:
    source = session.get(Source, source_id)
    if source is None:
        return None
    if paused and source.paused_at is None:
        source.paused_at = now
    elif not paused and source.paused_at is not None:
        source.paused_at = None
        source.next_poll_at = now  # poll soon after resuming
    return source


def set_interval(session: Session, source_id: int, seconds: int, now: datetime) -> Source | None:
    source = session.get(Source, source_id)
    if source is None:
        return None
    source.interval_seconds = max(MIN_INTERVAL, seconds)
    source.next_poll_at = min(source.next_poll_at or now, now + timedelta(seconds=seconds))
    return source


def due_source_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    stmt = (
        select(Source.id)
        .where(
            Source.paused_at.is_(None),
            or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now),
        )
        .order_by(Source.next_poll_at.is_not(None), Source.next_poll_at, Source.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def claim(session: Session, source_id: int, now: datetime, lease: timedelta) -> Source | None:
    """Take a due source for one poll (pushing next_poll_at out), unless another worker did."""
    result = session.execute(
        update(Source)
        .where(
            Source.id == source_id,
            Source.paused_at.is_(None),
            or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now),
        )
        .values(next_poll_at=now + lease, last_polled_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return session.get(Source, source_id, populate_existing=True)


def store_entries(
    session: Session, source_id: int | None, drafts: Iterable[ItemDraft], announce: bool
) -> AddResult:
    """Add new items from a source, marked as its own and as announceable or backfill."""
    return add_items(session, drafts, source_id=source_id, announce=announce)


def record_success(
    session: Session,
    source: Source,
    now: datetime,
    *,
    etag: str | None,
    last_modified: str | None,
    body_hash: str | None,
    feed_url: str | None = None,
    kind: str | None = None,
    title: str | None = None,
    stored_entries: bool = False,
) -> None:
    source.etag = (etag or "")[:500] or None
    source.last_modified = (last_modified or "")[:100] or None
    source.body_hash = body_hash
    source.feed_url = feed_url or source.feed_url
    source.kind = kind or source.kind
    source.title = (title or "")[:500] or source.title
    source.last_polled_at = now
    source.last_success_at = now
    source.last_error = None
    source.failures = 0
    source.failure_notified_at = None
    if stored_entries and source.first_fetched_at is None:
        source.first_fetched_at = now
    source.next_poll_at = now + backoff_delay(source.interval_seconds, 0)


def record_failure(session: Session, source: Source, now: datetime, error: str) -> bool:
    """Count a failure and back off; True when the admin should now be told (once)."""
    source.last_polled_at = now
    source.last_error = error[:2000]
    source.failures = (source.failures or 0) + 1
    source.next_poll_at = now + backoff_delay(source.interval_seconds, source.failures)
    return source.failures >= ALERT_AFTER_FAILURES and source.failure_notified_at is None


def mark_notified(session: Session, source_id: int, now: datetime) -> None:
    session.execute(update(Source).where(Source.id == source_id).values(failure_notified_at=now))
