"""Daily threads: one parent message per (channel, day), posted exactly once.

Claimed like a delivery (storage/deliveries.py): a row per (channel, day),
unique, inserted by whichever pass needs it first; a pass claims it with a
token and an expiry, posts the parent, then records its ts. A claim taken
over after it expired is `uncertain`: the pass that held it may have posted
the parent, so the caller looks in the channel's history first. Callers own
the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from storage.db import upsert_insert
from storage.models import DailyThread, Delivery, DeliveryState, Item
from storage.types import utcnow


@dataclass(frozen=True)
class ThreadState:
    """The day's thread as one pass sees it.

    `parent_ts` set: post replies under it. Else `claimed`: this pass must post the
    parent (after looking in the history when `uncertain`). Else another pass
    holds the claim right now.
    """

    thread_id: int
    parent_ts: str | None
    claimed: bool = False
    uncertain: bool = False


def claim_thread(
    session: Session,
    channel_id: str,
    day: str,
    token: str,
    *,
    timeout_seconds: int,
    now: datetime | None = None,
) -> ThreadState:
    """The day's thread of a channel: its parent's ts, or the claim to post it."""
    now = now or utcnow()
    stmt = upsert_insert(session, DailyThread).values(
        channel_id=channel_id, day=day, attempts=0, created_at=now
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["channel_id", "day"]))
    row = session.execute(
        select(DailyThread.id, DailyThread.parent_ts).where(
            DailyThread.channel_id == channel_id, DailyThread.day == day
        )
    ).one()
    if row.parent_ts:
        return ThreadState(row.id, row.parent_ts)
    # One conditional UPDATE: of racing passes only one changes the row.
    result = session.execute(
        update(DailyThread)
        .where(
            DailyThread.id == row.id,
            DailyThread.parent_ts.is_(None),
            or_(DailyThread.claimed_until.is_(None), DailyThread.claimed_until < now),
        )
        .values(
            claim_token=token,
            claimed_until=now + timedelta(seconds=timeout_seconds),
            attempts=DailyThread.attempts + 1,
        )
    )
    if result.rowcount != 1:
        current = session.scalar(select(DailyThread.parent_ts).where(DailyThread.id == row.id))
        return ThreadState(row.id, current)
    attempts = session.scalar(select(DailyThread.attempts).where(DailyThread.id == row.id))
    return ThreadState(row.id, None, claimed=True, uncertain=attempts > 1)


def parent_of(session: Session, thread_id: int) -> str | None:
    return session.scalar(select(DailyThread.parent_ts).where(DailyThread.id == thread_id))


def record_parent(session: Session, thread_id: int, parent_ts: str) -> bool:
    """The parent is posted (or found): the day's replies go under `parent_ts`.

    Recorded whoever holds the claim now: a message that is in Slack is the
    parent, and a later pass finds it by the same ts in the history.
    """
    result = session.execute(
        update(DailyThread)
        .where(DailyThread.id == thread_id, DailyThread.parent_ts.is_(None))
        .values(parent_ts=parent_ts, claim_token=None, claimed_until=None)
    )
    return result.rowcount == 1


def release_thread(session: Session, thread_id: int, token: str) -> None:
    """Give the claim back (Slack failed before accepting the parent)."""
    session.execute(
        update(DailyThread)
        .where(DailyThread.id == thread_id, DailyThread.claim_token == token)
        .values(claim_token=None, claimed_until=None)
    )


def forget_parent(session: Session, channel_id: str, parent_ts: str) -> bool:
    """The parent `parent_ts` is gone from Slack (deleted: replies to it are refused
    with `thread_not_found`): its day has no parent again, and the next pass posts a
    new one. Nothing to look for in the history first (attempts back to 0). Returns
    whether a row changed (racing passes: the first one)."""
    result = session.execute(
        update(DailyThread)
        .where(DailyThread.channel_id == channel_id, DailyThread.parent_ts == parent_ts)
        .values(parent_ts=None, claim_token=None, claimed_until=None, attempts=0)
    )
    return result.rowcount == 1


def day_of(session: Session, channel_id: str, parent_ts: str) -> str | None:
    """The day (ISO) whose thread has the parent `parent_ts` in the channel, if any."""
    return session.scalar(
        select(DailyThread.day).where(
            DailyThread.channel_id == channel_id, DailyThread.parent_ts == parent_ts
        )
    )


def replies_posted(session: Session, channel_id: str, parent_ts: str) -> int:
    """How many items the thread shows (the parent's count): those posted under
    `parent_ts` and not retracted since (a retracted item's reply says so instead)."""
    return session.scalar(
        select(func.count(Delivery.id))
        .join(Item, Item.id == Delivery.item_id)
        .where(
            Delivery.channel_id == channel_id,
            Delivery.thread_ts == parent_ts,
            Delivery.state == DeliveryState.POSTED,
            Item.retracted_at.is_(None),
        )
    )


def parents_showing(session: Session, item_id: int) -> list[tuple[str, str]]:
    """(channel, parent ts) of every daily thread the item was posted in: their
    parents count it, so a change to the item (a retraction) owes them an update."""
    stmt = (
        select(Delivery.channel_id, Delivery.thread_ts)
        .join(
            DailyThread,
            (DailyThread.channel_id == Delivery.channel_id)
            & (DailyThread.parent_ts == Delivery.thread_ts),
        )
        .where(Delivery.item_id == item_id, Delivery.state == DeliveryState.POSTED)
        .distinct()
    )
    return [(channel, ts) for channel, ts in session.execute(stmt)]


def recent_parents(session: Session, channel_id: str, since: datetime) -> list[str]:
    """Parents of the channel's threads started since `since` (newest first): where a
    reply posted by a pass that died may be."""
    return list(
        session.scalars(
            select(DailyThread.parent_ts)
            .where(
                DailyThread.channel_id == channel_id,
                DailyThread.parent_ts.is_not(None),
                DailyThread.created_at >= since,
            )
            .order_by(DailyThread.id.desc())
        )
    )
