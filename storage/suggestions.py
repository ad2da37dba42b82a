"""Members' suggestions and admins' decisions on them; review channels.

A suggestion is its own row (never an item), so nothing that lists, searches
or announces items can see it. A decision is one conditional UPDATE
(`... WHERE state = 'pending'`): of two admins deciding at once exactly one
changes the row; the other learns who won (`AlreadyDecided`). Callers own the
session; the decision's UPDATE must be the first statement of its transaction
(on SQLite a transaction that read first cannot take the write lock after
another writer committed: "database is locked" instead of a clean loss).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage import curation
from storage.curation import ItemFields
from storage.db import upsert_insert
from storage.models import (
    AuditEntry,
    ReviewChannel,
    Suggestion,
    SuggestionPost,
    SuggestionState,
)
from storage.types import utcnow

# A member's pending suggestions at most: the desk cannot be flooded.
PENDING_PER_MEMBER = 10
APPROVED, REJECTED = "approved", "rejected"


class TooManyPending(Exception):
    """The member already has PENDING_PER_MEMBER suggestions waiting."""


class AlreadySuggested(Exception):
    """The same link is already waiting for review (`existing` is its id)."""

    def __init__(self, existing: int) -> None:
        super().__init__(existing)
        self.existing = existing


class AlreadyDecided(Exception):
    """Someone decided first: `state` and `decided_by` tell who and how (None: no such row)."""

    def __init__(self, state: str | None, decided_by: str | None) -> None:
        super().__init__(state)
        self.state = state
        self.decided_by = decided_by


def add_suggestion(
    session: Session, fields: ItemFields, user_id: str, site_name: str | None = None
) -> Suggestion:
    """Store a member's suggestion. Raises TooManyPending (11th pending),
    curation.DuplicateItem (already an item: same link, or title on that day) and
    AlreadySuggested (same link pending)."""
    _lock_member(session, user_id)
    if count_pending(session, user_id) >= PENDING_PER_MEMBER:
        raise TooManyPending()
    duplicate = curation.find_duplicate(session, fields)
    if duplicate:
        raise duplicate
    if fields.url:
        waiting = session.scalar(
            select(Suggestion.id)
            .where(Suggestion.url == fields.url, Suggestion.state == SuggestionState.PENDING)
            .limit(1)
        )
        if waiting is not None:
            raise AlreadySuggested(waiting)
    suggestion = Suggestion(
        suggested_by=user_id,
        url=fields.url,
        title=fields.title,
        summary=fields.summary,
        category=fields.category,
        published_at=datetime.combine(fields.published_on, time.min, tzinfo=UTC),
        site_name=site_name,
        state=SuggestionState.PENDING,
        created_at=utcnow(),
    )
    session.add(suggestion)
    session.flush()
    return suggestion


def _lock_member(session: Session, user_id: str) -> None:
    """Serialise one member's submissions until the transaction ends, so two sent at
    once cannot both pass the PENDING_PER_MEMBER count. A write before the count:
    PostgreSQL locks the member's pending rows (the second UPDATE waits, then its
    count sees the first's row); SQLite takes its write lock here, even when no row
    matches (else the second transaction read first and fails "database is locked")."""
    session.execute(
        update(Suggestion)
        .where(Suggestion.suggested_by == user_id, Suggestion.state == SuggestionState.PENDING)
        .values(state=Suggestion.state)
        .execution_options(synchronize_session=False)
    )


def fields_of(suggestion: Suggestion) -> ItemFields:
    """The suggestion as the item form's fields (what Approve publishes)."""
    return ItemFields(
        suggestion.title,
        suggestion.url,
        suggestion.category,
        suggestion.published_at.date(),
        suggestion.summary,
    )


def count_pending(session: Session, user_id: str | None = None) -> int:
    stmt = select(func.count()).select_from(Suggestion)
    stmt = stmt.where(Suggestion.state == SuggestionState.PENDING)
    if user_id is not None:
        stmt = stmt.where(Suggestion.suggested_by == user_id)
    return session.scalar(stmt) or 0


def pending(session: Session, limit: int = 20) -> Sequence[Suggestion]:
    """Pending suggestions, oldest first."""
    stmt = (
        select(Suggestion)
        .where(Suggestion.state == SuggestionState.PENDING)
        .order_by(Suggestion.created_at, Suggestion.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def get(session: Session, suggestion_id: int) -> Suggestion | None:
    return session.get(Suggestion, suggestion_id)


def decide(
    session: Session,
    suggestion_id: int,
    state: str,
    user_id: str,
    reason: str | None = None,
) -> Suggestion:
    """Mark a pending suggestion approved or rejected by `user_id`; the first caller wins.

    Raises AlreadyDecided when it is not pending (any more). Call it first in
    the transaction (see the module docstring); an approval then adds the item
    in the same transaction (`approved`), so a failed add leaves it pending.
    """
    assert state in (APPROVED, REJECTED)
    result = session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion_id, Suggestion.state == SuggestionState.PENDING)
        .values(state=state, decided_by=user_id, decided_at=utcnow(), reason=reason)
        .execution_options(synchronize_session=False)
    )
    suggestion = session.get(Suggestion, suggestion_id, populate_existing=True)
    if result.rowcount != 1 or suggestion is None:
        raise AlreadyDecided(
            suggestion.state if suggestion else None, suggestion.decided_by if suggestion else None
        )
    if state == REJECTED:
        session.add(
            AuditEntry(
                user_id=user_id,
                action="rejected",
                item_id=None,
                item_title=suggestion.title,
                details=_details(suggestion, reason),
            )
        )
    return suggestion


def approved(session: Session, suggestion: Suggestion, item_id: int, user_id: str) -> None:
    """Link an approved suggestion to the item it became, with its audit entry."""
    suggestion.item_id = item_id
    session.add(
        AuditEntry(
            user_id=user_id,
            action="approved",
            item_id=item_id,
            item_title=suggestion.title,
            details=_details(suggestion, None),
        )
    )
    session.flush()


def _details(suggestion: Suggestion, reason: str | None) -> str:
    text = f"suggestion #{suggestion.id} by {suggestion.suggested_by}"
    return f"{text}; reason: {reason}" if reason else text


# -- review messages ---------------------------------------------------------
def record_post(
    session: Session,
    suggestion_id: int,
    channel_id: str,
    message_ts: str | None,
    error: str | None = None,
) -> None:
    session.add(
        SuggestionPost(
            suggestion_id=suggestion_id,
            channel_id=channel_id,
            message_ts=message_ts,
            error=error,
            posted_at=utcnow(),
        )
    )


def posts_of(session: Session, suggestion_id: int) -> list[tuple[str, str]]:
    """(channel, ts) of every review message that shows the suggestion."""
    rows = session.execute(
        select(SuggestionPost.channel_id, SuggestionPost.message_ts)
        .where(SuggestionPost.suggestion_id == suggestion_id)
        .where(SuggestionPost.message_ts.is_not(None))
        .order_by(SuggestionPost.id)
    )
    return [(channel, ts) for channel, ts in rows]


# -- review channels -----------------------------------------------------------
def add_review_channel(session: Session, channel_id: str, user_id: str) -> bool:
    """True when the channel was not a review channel before."""
    insert = upsert_insert(session, ReviewChannel).values(
        channel_id=channel_id, created_by=user_id, created_at=utcnow()
    )
    result = session.execute(insert.on_conflict_do_nothing(index_elements=["channel_id"]))
    return result.rowcount == 1


def remove_review_channel(session: Session, channel_id: str) -> bool:
    result = session.execute(delete(ReviewChannel).where(ReviewChannel.channel_id == channel_id))
    return result.rowcount == 1


def review_channels(session: Session) -> list[str]:
    return list(
        session.scalars(select(ReviewChannel.channel_id).order_by(ReviewChannel.created_at))
    )


def last_post_errors(session: Session) -> dict[str, str]:
    """Review channels whose latest post failed, with Slack's error (for `review`)."""
    latest = (
        select(SuggestionPost.channel_id, func.max(SuggestionPost.id).label("last"))
        .group_by(SuggestionPost.channel_id)
        .subquery()
    )
    rows = session.execute(
        select(SuggestionPost.channel_id, SuggestionPost.error)
        .join(latest, SuggestionPost.id == latest.c.last)
        .where(SuggestionPost.error.is_not(None))
    )
    return {channel: error for channel, error in rows}
