"""Slack event ids already handled, so a retried delivery does no double work."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage.db import upsert_insert
from storage.models import ProcessedEvent
from storage.types import utcnow

# Slack retries three times within about an hour; a day is ample.
KEEP_EVENT_IDS = timedelta(days=1)


def claim_event(session: Session, event_id: str) -> bool:
    """Record `event_id`; True if this is its first delivery, False if already claimed.

    The primary key settles races between web workers and processes:
    exactly one INSERT wins, whoever runs it.
    """
    stmt = (
        upsert_insert(session, ProcessedEvent)
        .values(event_id=event_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["event_id"])
        # RETURNING, not rowcount: rowcount is not reliable for this on every driver.
        .returning(ProcessedEvent.event_id)
    )
    return session.execute(stmt).scalar() is not None


def prune_events(session: Session, keep: timedelta = KEEP_EVENT_IDS) -> int:
    """Forget event ids older than `keep`; returns how many were removed."""
    stmt = delete(ProcessedEvent).where(ProcessedEvent.created_at < utcnow() - keep)
    return session.execute(stmt).rowcount
