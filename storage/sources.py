"""Store operations for sources (feeds and listings the worker polls). Callers own the session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from storage.categories import category_spelling, fold_if_due
from storage.models import Item, Source, SourceEvent, SourceItemDelta

DEFAULT_INTERVAL = 30 * 60
MIN_INTERVAL = 5 * 60
# Backoff doubles per failure in a row, up to this (or the source's interval, if longer).
MAX_BACKOFF = 6 * 60 * 60
# Failures in a row after which the admin who added the source is told (once).
ALERT_AFTER_FAILURES = 5
# A feed's Cache-Control max-age is a floor on its interval, up to this.
MAX_AGE_CAP = timedelta(days=1)
# A Retry-After is honoured up to this (a typo or a hostile header cannot stop a source).
RETRY_AFTER_CAP = timedelta(days=7)
# Polls in a row that must see the same permanent redirect before the address moves.
MOVE_AFTER_REDIRECTS = 3
INFO, WARNING, ERROR = "info", "warning", "error"


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
        category=category_spelling(category),  # as its items will spell it
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
    """Every source with its visible items (each item it brought or also carries,
    item_sources), from the counts kept by 0011's triggers: no scan of items."""
    stmt = with_item_counts(select(Source, ITEM_COUNT, DELTAS)).order_by(Source.id)
    rows = session.execute(stmt).all()
    fold_if_due(session, deltas=sum(deltas for _, _, deltas in rows))
    return [SourceRow(source, int(count)) for source, count, _ in rows]


# Per source, from the counts kept by 0011's triggers: its visible items (ITEM_COUNT)
# and how many count deltas were summed for it (DELTAS: fold_if_due takes their total).
_COUNTS = (
    select(
        SourceItemDelta.source_id,
        func.sum(SourceItemDelta.delta).label("n"),
        func.count().label("deltas"),
    )
    .group_by(SourceItemDelta.source_id)
    .subquery("source_counts")
)
ITEM_COUNT = func.coalesce(_COUNTS.c.n, 0).label("item_count")
DELTAS = func.coalesce(_COUNTS.c.deltas, 0).label("deltas")


def with_item_counts(stmt: Select) -> Select:
    """`stmt`, a select from `sources`, outer-joined to what ITEM_COUNT and DELTAS read
    (`list_sources`, and App Home's one read in storage/home.py)."""
    return stmt.outerjoin(_COUNTS, _COUNTS.c.source_id == Source.id)


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


def claim(
    session: Session, source_id: int, now: datetime, lease: timedelta, force: bool = False
) -> Source | None:
    """Take a due source for one poll (pushing next_poll_at out), unless another worker did.

    `force` (an admin's `sources poll ID`) takes it due or not, paused or not; a
    Retry-After still holding is the caller's to check (`waiting_until`).
    """
    conditions = [Source.id == source_id]
    if not force:
        conditions += [
            Source.paused_at.is_(None),
            or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now),
        ]
    result = session.execute(
        update(Source)
        .where(*conditions)
        .values(next_poll_at=now + lease, last_polled_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return session.get(Source, source_id, populate_existing=True)


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
    max_age: timedelta | None = None,
) -> None:
    """A read that worked: validators kept, failures cleared, next poll after the
    interval or the feed's max-age (capped at MAX_AGE_CAP), whichever is longer."""
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
    source.retry_after_until = None
    delay = backoff_delay(source.interval_seconds, 0)
    if max_age is not None:
        delay = max(delay, min(max_age, MAX_AGE_CAP))
    source.next_poll_at = now + delay


def record_failure(
    session: Session,
    source: Source,
    now: datetime,
    error: str,
    retry_after: timedelta | None = None,
) -> bool:
    """Count a failure and back off (at least `retry_after`, when the site asked);
    True when the admin should now be told (once). A new reason goes in the history."""
    error = " ".join(error.split())[:2000]  # one line
    if error != source.last_error:
        add_event(session, source.id, ERROR, error, now)
    source.last_polled_at = now
    source.last_error = error
    source.failures = (source.failures or 0) + 1
    next_poll = now + backoff_delay(source.interval_seconds, source.failures)
    if retry_after is not None:
        source.retry_after_until = now + min(retry_after, RETRY_AFTER_CAP)
        next_poll = max(next_poll, source.retry_after_until)
    source.next_poll_at = next_poll
    return alert_due(source)


def alert_due(source: Source) -> bool:
    """An admin should now be told the source keeps failing: after
    ALERT_AFTER_FAILURES failures in a row, once (until it reads again). Who is
    told is the caller's choice (bot/source_polling.py: failure_recipients)."""
    return source.failures >= ALERT_AFTER_FAILURES and source.failure_notified_at is None


def waiting_until(source: Source, now: datetime) -> datetime | None:
    """When a Retry-After the site sent still holds, until when."""
    until = source.retry_after_until
    return until if until is not None and until > now else None


def note_redirect(session: Session, source: Source, permanent_url: str | None, now: datetime):
    """Count polls in a row that saw the same permanent redirect; at MOVE_AFTER_REDIRECTS
    the polled address (feed_url, and url when they were one) moves, and the history
    says so. A poll without one (a temporary redirect, or none) resets the count.
    Returns the new address when it moved."""
    if permanent_url is None:
        source.redirect_url, source.redirect_count = None, 0
        return None
    if source.redirect_url == permanent_url:
        source.redirect_count = (source.redirect_count or 0) + 1
    else:
        source.redirect_url, source.redirect_count = permanent_url[:2000], 1
    if source.redirect_count < MOVE_AFTER_REDIRECTS:
        return None
    old = source.feed_url or source.url
    if source.url == old and find_by_url(session, permanent_url) is None:
        source.url = permanent_url
    source.feed_url = permanent_url
    source.redirect_url, source.redirect_count = None, 0
    add_event(
        session,
        source.id,
        INFO,
        f"moved from {old} to {permanent_url}: permanent redirect on "
        f"{MOVE_AFTER_REDIRECTS} polls in a row",
        now,
    )
    return permanent_url


def add_event(session: Session, source_id: int, level: str, text: str, now: datetime) -> None:
    """One line in the source's history (skipped entries, moves, new failure reasons)."""
    session.add(SourceEvent(source_id=source_id, at=now, level=level, text=text[:2000]))


def latest_notes(session: Session, source_ids: Sequence[int]) -> dict[int, str]:
    """Source id -> the newest line of its history (one query)."""
    if not source_ids:
        return {}
    newest = (
        select(SourceEvent.source_id, func.max(SourceEvent.id).label("id"))
        .where(SourceEvent.source_id.in_(source_ids))
        .group_by(SourceEvent.source_id)
        .subquery()
    )
    stmt = select(SourceEvent.source_id, SourceEvent.text).join(
        newest, newest.c.id == SourceEvent.id
    )
    return {source_id: text for source_id, text in session.execute(stmt)}


def recent_events(session: Session, source_id: int, n: int = 10) -> list[SourceEvent]:
    stmt = (
        select(SourceEvent)
        .where(SourceEvent.source_id == source_id)
        .order_by(SourceEvent.at.desc(), SourceEvent.id.desc())
        .limit(n)
    )
    return list(session.scalars(stmt))


def mark_notified(session: Session, source_id: int, now: datetime) -> None:
    session.execute(update(Source).where(Source.id == source_id).values(failure_notified_at=now))
