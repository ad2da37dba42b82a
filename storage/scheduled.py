"""Scheduled items: an admin's item stored apart from `items` until its time.

Nothing that reads `items` sees a scheduled item (latest, search, feeds,
public pages, category counts, announcements, follows). When it is due,
`publish` stores it through the item form's own path
(storage.curation.add_item: duplicate check, audit), so it gets a fresh id
and is announced like any new item.

Race-safety: publishing claims the row with a conditional UPDATE
(`state = 'pending'` -> 'published') in the SAME transaction that adds the
item. Two workers racing for one row: on PostgreSQL the second UPDATE waits
for the first transaction and then matches no row; SQLite serialises
writers. A job killed half-way rolls the whole transaction back, leaving the
row pending for the next pass. Callers own the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from domain.identity import normalise_text
from storage import curation
from storage.curation import ItemFields
from storage.models import AuditEntry, Item, ScheduledItem, ScheduledState
from storage.types import utcnow

# How far ahead an item may be scheduled: one calendar year (the form refuses later times).
MAX_AHEAD_YEARS = 1
SCHEDULED, UNSCHEDULED, RESCHEDULED = "scheduled", "unscheduled", "edited scheduled"
PUBLISH_FAILED = "not published"


@dataclass(frozen=True)
class Published:
    """One scheduled row published: the new item's id, or why not (e.g. duplicate)."""

    scheduled_id: int
    created_by: str
    title: str
    item_id: int | None = None
    error: str | None = None


def latest_publish_at(now: datetime) -> datetime:
    """The latest time an item may be scheduled for: the same moment MAX_AHEAD_YEARS
    calendar years after `now` (29 February: the 28th), so a year and a day is refused
    whether or not a leap day lies between."""
    try:
        return now.replace(year=now.year + MAX_AHEAD_YEARS)
    except ValueError:  # 29 February in a year that has none
        return now.replace(year=now.year + MAX_AHEAD_YEARS, day=28)


def fields_of(row: ScheduledItem) -> ItemFields:
    return ItemFields(row.title, row.url, row.category, row.published_on, row.summary)


def _audit(session: Session, user_id: str, action: str, row: ScheduledItem, details: str) -> None:
    session.add(
        AuditEntry(
            user_id=user_id, action=action, item_id=None, item_title=row.title, details=details
        )
    )


def when_text(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def schedule(
    session: Session, fields: ItemFields, publish_at: datetime, user_id: str
) -> ScheduledItem:
    """Keep an item to publish at `publish_at` (tz-aware); raises DuplicateItem when
    an item with the same link (or title and day) is already stored."""
    duplicate = curation.find_duplicate(session, fields)
    if duplicate:
        raise duplicate
    row = ScheduledItem(
        title=fields.title,
        url=fields.url,
        category=fields.category,
        summary=fields.summary,
        published_on=fields.published_on,
        publish_at=publish_at,
        created_by=user_id,
        state=ScheduledState.PENDING,
    )
    session.add(row)
    session.flush()
    _audit(session, user_id, SCHEDULED, row, f"#{row.id} for {when_text(publish_at)}")
    return row


def pending_duplicate(
    session: Session, fields: ItemFields, exclude_id: int | None = None
) -> tuple[str, ScheduledItem] | None:
    """("link" | "title", row) when a pending row has the same link, or the same title
    on the same day (the rule of storage.curation.find_duplicate); else None."""
    stmt = select(ScheduledItem).where(ScheduledItem.state == ScheduledState.PENDING)
    if exclude_id is not None:
        stmt = stmt.where(ScheduledItem.id != exclude_id)
    wanted = normalise_text(fields.title)
    for row in session.scalars(stmt):
        if fields.url and row.url == fields.url:
            return "link", row
        if row.published_on == fields.published_on and normalise_text(row.title) == wanted:
            return "title", row
    return None


def pending(session: Session, scheduled_id: int) -> ScheduledItem | None:
    row = session.get(ScheduledItem, scheduled_id)
    return row if row is not None and row.state == ScheduledState.PENDING else None


def edit(
    session: Session, scheduled_id: int, fields: ItemFields, publish_at: datetime, user_id: str
) -> ScheduledItem | None:
    """Change a pending row; None when it is no longer pending (published, cancelled)."""
    duplicate = curation.find_duplicate(session, fields)
    if duplicate:
        raise duplicate
    values = {
        "title": fields.title,
        "url": fields.url,
        "category": fields.category,
        "summary": fields.summary,
        "published_on": fields.published_on,
        "publish_at": publish_at,
        "updated_at": utcnow(),
    }
    result = session.execute(
        update(ScheduledItem)
        .where(ScheduledItem.id == scheduled_id, ScheduledItem.state == ScheduledState.PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        return None
    row = session.get(ScheduledItem, scheduled_id)
    session.refresh(row)
    _audit(session, user_id, RESCHEDULED, row, f"#{row.id} for {when_text(publish_at)}")
    return row


def cancel(session: Session, scheduled_id: int, user_id: str) -> ScheduledItem | None:
    """Cancel a pending row; None when it is not pending any more (nothing changes)."""
    row = _finish(session, scheduled_id, ScheduledState.CANCELLED, user_id)
    if row is not None:
        _audit(
            session, user_id, UNSCHEDULED, row, f"#{row.id}, was for {when_text(row.publish_at)}"
        )
    return row


def _finish(
    session: Session,
    scheduled_id: int,
    state: str,
    user_id: str,
    error: str | None = None,
    due_by: datetime | None = None,
) -> ScheduledItem | None:
    """pending -> `state`, claimed by one conditional UPDATE: at most one caller wins.
    `due_by`: only if its publish_at is not later (it may have been rescheduled since
    it was read)."""
    stmt = update(ScheduledItem).where(
        ScheduledItem.id == scheduled_id, ScheduledItem.state == ScheduledState.PENDING
    )
    if due_by is not None:
        stmt = stmt.where(ScheduledItem.publish_at <= due_by)
    result = session.execute(
        stmt.values(
            state=state, finished_by=user_id, finished_at=utcnow(), last_error=error
        ).execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        return None
    row = session.get(ScheduledItem, scheduled_id)
    session.refresh(row)
    return row


def publish(session: Session, scheduled_id: int, actor: str | None = None) -> Item | None:
    """Publish one pending row: claim it, add the item through
    storage.curation.add_item (raises DuplicateItem: the caller rolls back and calls
    `mark_failed`), link it. None when another caller already took the row.

    `actor`: who asked (an admin publishing early: now, whatever its time); the
    worker passes None, the row is claimed only if it is due now (an admin may have
    moved it later since the pass read it), and the item is added in the name of
    the admin who scheduled it.
    """
    due_by = None if actor else utcnow()
    row = _finish(session, scheduled_id, ScheduledState.PUBLISHED, actor or "", due_by=due_by)
    if row is None:
        return None
    by = actor or row.created_by
    # The audit shows details as text (escaped): the id, not a mention.
    note = f"published as scheduled by {row.created_by} (#{row.id})"
    item = curation.add_item(session, fields_of(row), by, details=note)
    row.item_id = item.id
    row.finished_by = by
    return item


def mark_failed(session: Session, scheduled_id: int, error: str) -> ScheduledItem | None:
    """A row that cannot be published (e.g. now a duplicate): failed, kept, audited."""
    row = _finish(session, scheduled_id, ScheduledState.FAILED, "", error)
    if row is not None:
        _audit(session, row.created_by, PUBLISH_FAILED, row, f"#{row.id}: {error}")
    return row


def due_ids(session: Session, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Pending rows whose time has come, oldest time first."""
    now = now or utcnow()
    stmt = (
        select(ScheduledItem.id)
        .where(ScheduledItem.state == ScheduledState.PENDING, ScheduledItem.publish_at <= now)
        .order_by(ScheduledItem.publish_at, ScheduledItem.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def count_pending(session: Session) -> int:
    stmt = select(func.count()).select_from(ScheduledItem)
    return session.scalar(stmt.where(ScheduledItem.state == ScheduledState.PENDING))


def upcoming(session: Session, limit: int = 20) -> Sequence[ScheduledItem]:
    """Pending rows, soonest first (App Home, `/coopnews scheduled`)."""
    stmt = (
        select(ScheduledItem)
        .where(ScheduledItem.state == ScheduledState.PENDING)
        .order_by(ScheduledItem.publish_at, ScheduledItem.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()
