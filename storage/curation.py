"""Curation by admins: adding, correcting and retracting items, and the audit trail.

Callers own the session (one transaction per change, audit entry included).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.identity import normalise_text
from domain.items import fingerprint
from storage import corrections
from storage.categories import category_key, category_spelling
from storage.models import AuditEntry, Item
from storage.types import utcnow

ADDED, EDITED, RETRACTED = "added", "edited", "retracted"
# Audit actors besides Slack user IDs: a followed source ("source 3") correcting
# its entries, and one-off imports.
SOURCE_ACTOR, IMPORT_ACTOR = "source", "import"


@dataclass(frozen=True)
class ItemFields:
    """What an admin enters for an item, already validated."""

    title: str
    url: str | None
    category: str | None
    published_on: date
    summary: str | None


@dataclass(frozen=True)
class ExistingItem:
    """What an admin is told about the item theirs duplicates (no ORM object:
    the exception outlives the rolled-back session)."""

    id: int
    title: str
    published_at: datetime
    retracted: bool

    @classmethod
    def of(cls, item: Item) -> ExistingItem:
        return cls(item.id, item.title, item.published_at, item.retracted_at is not None)


class DuplicateItem(Exception):
    """An item with the same link, or the same title and date, is already stored."""

    def __init__(self, existing: ExistingItem | None, field: str) -> None:
        super().__init__(field)
        self.existing = existing
        self.field = field  # "link" or "title"


def admin_fingerprint(fields: ItemFields) -> str:
    if fields.url:
        return fingerprint("link", fields.url)
    return fingerprint("admin", fields.title, fields.published_on.isoformat())


def stamp(day: date, now: datetime | None = None) -> datetime:
    """The chosen day at the current time of day (UTC): newest among that day's items."""
    now = now or utcnow()
    return datetime.combine(day, now.astimezone(UTC).time().replace(microsecond=0), tzinfo=UTC)


def find_duplicate(
    session: Session, fields: ItemFields, exclude_id: int | None = None
) -> DuplicateItem | None:
    """Same link, or same title on the same day; retracted items count too."""
    if fields.url:
        stmt = select(Item).where(Item.url == fields.url)
        if exclude_id is not None:
            stmt = stmt.where(Item.id != exclude_id)
        same_link = session.scalars(stmt.limit(1)).first()
        if same_link:
            return DuplicateItem(ExistingItem.of(same_link), "link")
    start = datetime.combine(fields.published_on, time.min, tzinfo=UTC)
    stmt = select(Item).where(
        Item.published_at >= start, Item.published_at < start + timedelta(days=1)
    )
    if exclude_id is not None:
        stmt = stmt.where(Item.id != exclude_id)
    wanted = normalise_text(fields.title)
    for item in session.scalars(stmt):
        if normalise_text(item.title) == wanted:
            return DuplicateItem(ExistingItem.of(item), "title")
    return None


def add_item(
    session: Session, fields: ItemFields, user_id: str, details: str | None = None
) -> Item:
    """Store a new admin item and its audit entry (with `details`, e.g. how it came:
    storage/scheduled.py); raises DuplicateItem."""
    duplicate = find_duplicate(session, fields)
    if duplicate:
        raise duplicate
    item = Item(
        title=fields.title,
        url=fields.url,
        category=category_spelling(fields.category),
        category_key=category_key(fields.category),
        summary=fields.summary,
        published_at=stamp(fields.published_on),
        origin="admin",
        fingerprint=admin_fingerprint(fields),
        created_by=user_id,
    )
    # One instant for both: updated_at later than created_at means corrected (public feeds).
    item.created_at = item.updated_at = utcnow()
    session.add(item)
    try:
        session.flush()
    except IntegrityError:
        # A concurrent add of the same item won (unique fingerprint). No savepoint:
        # pysqlite's SAVEPOINT outside BEGIN would commit early; the caller's
        # whole transaction rolls back instead.
        raise DuplicateItem(None, "link" if fields.url else "title") from None
    record(session, user_id, ADDED, item, details)
    return item


def update_item(session: Session, item: Item, fields: ItemFields, user_id: str) -> list[str]:
    """Correct an item; returns the names of the fields that changed (maybe none).

    The fingerprint stays: it is the item's identity for importers, so a
    corrected ILO item is not imported again under its old title.
    """
    duplicate = find_duplicate(session, fields, exclude_id=item.id)
    if duplicate:
        raise duplicate
    changed = []
    for name, label, value in (
        ("title", "title", fields.title),
        ("url", "link", fields.url),
        ("category", "category", category_spelling(fields.category)),
        ("summary", "summary", fields.summary),
    ):
        if getattr(item, name) != value:
            setattr(item, name, value)
            changed.append(label)
    item.category_key = category_key(item.category)
    if item.published_at.date() != fields.published_on:
        item.published_at = stamp(fields.published_on)
        changed.append("date")
    if changed:
        record(session, user_id, EDITED, item, ", ".join(changed))
        session.flush()
        _owe_corrections(session, item, user_id)
    return changed


def retract_item(session: Session, item: Item, user_id: str) -> bool:
    """Hide an item everywhere, keeping it for the audit trail; False if already retracted."""
    if item.retracted_at is not None:
        return False
    item.retracted_at = utcnow()
    record(session, user_id, RETRACTED, item)
    session.flush()
    _owe_corrections(session, item, user_id)
    return True


def _owe_corrections(session: Session, item: Item, user_id: str) -> None:
    """Posted messages owe a chat.update: recorded with the change itself (durable)."""
    corrections.plan_corrections(session, item.id, requested_by=user_id)


def visible_item(session: Session, item_id: int) -> Item | None:
    item = session.get(Item, item_id)
    return item if item and item.retracted_at is None else None


def record(
    session: Session, user_id: str, action: str, item: Item, details: str | None = None
) -> AuditEntry:
    entry = AuditEntry(
        user_id=user_id, action=action, item_id=item.id, item_title=item.title, details=details
    )
    session.add(entry)
    return entry


def recent_changes(session: Session, n: int = 15) -> Sequence[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(n)
    return session.scalars(stmt).all()
