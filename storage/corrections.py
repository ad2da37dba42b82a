"""Corrections of posted messages as durable deliveries. Callers own the session.

When an item changes (an admin's edit or retraction, a feed's correction), every
Slack message showing it owes a `chat.update`. `plan_corrections` records that
debt in the transaction that changes the item, one row per message
(`corrections`, unique on channel and ts), so it survives a crash or a Slack
outage. Appliers claim due rows (`claim_due`, a lease like delivery claims),
render the message from the item's state at that moment, and end each row with
`record_applied`, `record_retry` (backoff: 30 s, then doubling up to an hour) or
`record_failed` (Slack refused for good). A row planned again while claimed loses
its claim token, so the stale attempt cannot mark the newer correction done; the
hash of the message last applied is kept, so planning again for content that
already reached Slack (a writer calling twice) sends nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from storage import daily_threads
from storage.db import upsert_insert
from storage.deliveries import posted_messages
from storage.follows import posted_dms
from storage.models import Correction, CorrectionState, Item, Source
from storage.types import utcnow

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
# After this long without Slack accepting it, a correction is given up (and reported).
GIVE_UP_AFTER = timedelta(hours=24)
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class _Message:
    channel_id: str
    message_ts: str


@dataclass(frozen=True)
class ClaimedCorrection:
    """A claimed row, detached from its session: what an applier needs."""

    id: int
    channel_id: str
    message_ts: str
    item_id: int | None
    requested_by: str | None
    attempts: int
    planned_at: datetime
    token: str
    # Hash of the message Slack last accepted for this row (None before the first).
    applied_hash: str | None = None


def retry_delay(attempts: int) -> timedelta:
    """Delay after `attempts` failed tries: 30 s, 1 min, 2 min, … capped at an hour."""
    return min(FIRST_RETRY * 2 ** max(0, min(attempts - 1, 20)), MAX_RETRY)


def plan_corrections(
    session: Session,
    item_id: int,
    requested_by: str | None = None,
    now: datetime | None = None,
) -> int:
    """Owe a chat.update to every message showing the item; returns how many.

    Call it in the transaction that changes the item. A message that already
    owes one is made pending again (due now, attempts reset), so it is applied
    once, with the latest state of its items.
    """
    now = now or utcnow()
    # Channel announcements, follows' DMs (their DM channel and ts), and the parents of
    # the daily threads it was posted in (they count their items).
    messages = posted_messages(session, item_id) + posted_dms(session, item_id)
    messages += [_Message(c, ts) for c, ts in daily_threads.parents_showing(session, item_id)]
    if not messages:
        return 0
    rows = [
        {
            "channel_id": m.channel_id,
            "message_ts": m.message_ts,
            "item_id": item_id,
            "requested_by": requested_by,
            "state": CorrectionState.PENDING,
            "attempts": 0,
            "planned_at": now,
            "next_attempt_at": now,
        }
        for m in messages
    ]
    stmt = upsert_insert(session, Correction)
    stmt = stmt.on_conflict_do_update(
        index_elements=["channel_id", "message_ts"],
        set_={
            "item_id": stmt.excluded.item_id,
            "requested_by": stmt.excluded.requested_by,
            "state": CorrectionState.PENDING,
            "attempts": 0,
            "planned_at": now,
            "next_attempt_at": now,
            "claim_token": None,
            "claimed_until": None,
            "last_error": None,
            "done_at": None,
        },
    )
    session.execute(stmt, rows)
    return len(rows)


def claim_due(
    session: Session,
    now: datetime | None = None,
    item_id: int | None = None,
    limit: int = 50,
    lease: timedelta = LEASE,
) -> list[ClaimedCorrection]:
    """Claim pending rows that are due (optionally one item's), for one lease."""
    now = now or utcnow()
    claimable = and_(
        Correction.state == CorrectionState.PENDING,
        Correction.next_attempt_at <= now,
        or_(Correction.claimed_until.is_(None), Correction.claimed_until < now),
    )
    stmt = select(Correction.id).where(claimable).order_by(Correction.next_attempt_at)
    if item_id is not None:
        stmt = stmt.where(Correction.item_id == item_id)
    ids = list(session.scalars(stmt.limit(limit)))
    claimed = []
    for correction_id in ids:
        token = secrets.token_hex(16)
        # Conditional: a racing applier that took the row first wins it.
        result = session.execute(
            update(Correction)
            .where(Correction.id == correction_id, claimable)
            .values(claim_token=token, claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue
        row = session.get(Correction, correction_id, populate_existing=True)
        claimed.append(
            ClaimedCorrection(
                row.id,
                row.channel_id,
                row.message_ts,
                row.item_id,
                row.requested_by,
                row.attempts,
                row.planned_at,
                token,
                row.applied_hash,
            )
        )
    return claimed


def _finish(session: Session, claim: ClaimedCorrection, **values) -> bool:
    result = session.execute(
        update(Correction)
        .where(Correction.id == claim.id, Correction.claim_token == claim.token)
        .values(claim_token=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def record_applied(
    session: Session,
    claim: ClaimedCorrection,
    now: datetime | None = None,
    applied_hash: str | None = None,
) -> bool:
    """Slack accepted the update (whose content hashes to `applied_hash`); False if
    the row was planned again meanwhile (it stays pending for the newer content)."""
    values = {"applied_hash": applied_hash} if applied_hash else {}
    return _finish(session, claim, state=CorrectionState.DONE, done_at=now or utcnow(), last_error=None, **values)


def record_retry(
    session: Session, claim: ClaimedCorrection, error: str, now: datetime | None = None
) -> datetime | None:
    """A transient failure: try again after the backoff; returns when (None if replanned).

    Past GIVE_UP_AFTER since it was planned, the row fails instead (see record_failed).
    """
    now = now or utcnow()
    attempts = claim.attempts + 1
    if now - claim.planned_at >= GIVE_UP_AFTER:
        record_failed(session, claim, f"{error} (still failing after {GIVE_UP_AFTER})", now)
        return None
    when = now + retry_delay(attempts)
    done = _finish(session, claim, attempts=attempts, next_attempt_at=when, last_error=error[:2000])
    return when if done else None


def record_failed(
    session: Session, claim: ClaimedCorrection, error: str, now: datetime | None = None
) -> bool:
    """Slack refused for good (message gone, channel archived…): never retried."""
    return _finish(
        session,
        claim,
        state=CorrectionState.FAILED,
        attempts=claim.attempts + 1,
        last_error=error[:2000],
        done_at=now or utcnow(),
    )


def pending_for_item(session: Session, item_id: int) -> Sequence[Correction]:
    stmt = select(Correction).where(Correction.item_id == item_id, Correction.state == CorrectionState.PENDING)
    return session.scalars(stmt.order_by(Correction.id)).all()


def who_to_tell(session: Session, claim: ClaimedCorrection) -> str | None:
    """The admin who asked, else the admin who added the item's source."""
    if claim.requested_by:
        return claim.requested_by
    if claim.item_id is None:
        return None
    return session.scalar(
        select(Source.created_by)
        .join(Item, Item.source_id == Source.id)
        .where(Item.id == claim.item_id)
    )
