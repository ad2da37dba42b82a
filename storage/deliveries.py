"""Subscriptions and delivery records: what makes announcements exactly-once.

One `deliveries` row per (item, channel), unique, planned before anything is
posted. A pass claims rows with a token and an expiry, posts, then records
the message ts. Claims never block each other: PostgreSQL skips rows another
pass holds (FOR UPDATE SKIP LOCKED); SQLite serialises writes, so a single
conditional UPDATE claims atomically. Callers own the session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.categories import choice_keys, decode_choice, encode_choice, spelled, spellings
from storage.db import upsert_insert
from storage.models import Delivery, Item, Subscription
from storage.types import utcnow

PENDING, CLAIMED, POSTED, FAILED, SKIPPED = "pending", "claimed", "posted", "failed", "skipped"
INSTANT, DAILY, WEEKLY = "instant", "daily", "weekly"


# -- subscriptions ---------------------------------------------------------------
def newest_item_id(session: Session) -> int:
    return session.scalar(select(func.coalesce(func.max(Item.id), 0)))


def get_subscription(session: Session, channel_id: str) -> Subscription | None:
    return session.scalar(select(Subscription).where(Subscription.channel_id == channel_id))


@dataclass(frozen=True)
class SubscribeResult:
    subscription: Subscription
    created: bool
    resumed: bool = False


def subscribe(
    session: Session,
    channel_id: str,
    *,
    created_by: str | None,
    categories: Iterable[str] | None = None,
    mode: str = INSTANT,
    schedule: str | None = None,
    timezone: str | None = None,
    next_digest_at: datetime | None = None,
    now: datetime | None = None,
) -> SubscribeResult:
    """Subscribe a channel, or change its subscription.

    Only items stored from now on are announced. A paused subscription starts
    afresh (its backlog is dropped), so resuming never floods the channel.
    """
    now = now or utcnow()
    fields = dict(
        categories=encode_choice(categories),
        mode=mode,
        schedule=schedule,
        timezone=timezone,
        next_digest_at=next_digest_at,
    )
    existing = get_subscription(session, channel_id)
    if existing is None:
        created = _insert_subscription(
            session,
            channel_id,
            created_by=created_by,
            after_item_id=newest_item_id(session),
            now=now,
        )
        existing = get_subscription(session, channel_id)
        if created:
            for name, value in fields.items():
                setattr(existing, name, value)
            return SubscribeResult(existing, created=True)
    resumed = existing.paused_at is not None
    if resumed:
        session.execute(
            delete(Delivery).where(Delivery.channel_id == channel_id, Delivery.state == PENDING)
        )
        existing.after_item_id = newest_item_id(session)
        existing.paused_at = None
        existing.problem = None
        existing.created_by = created_by
    for name, value in fields.items():
        setattr(existing, name, value)
    return SubscribeResult(existing, created=False, resumed=resumed)


def _insert_subscription(
    session: Session, channel_id: str, *, created_by: str | None, after_item_id: int, now: datetime
) -> bool:
    """Insert unless the channel already has one (two admins at once: one row)."""
    row = {
        "channel_id": channel_id,
        "created_by": created_by,
        "created_at": now,
        "after_item_id": after_item_id,
        "mode": INSTANT,
    }
    stmt = upsert_insert(session, Subscription).values(row)
    stmt = stmt.on_conflict_do_nothing(index_elements=["channel_id"])
    # RETURNING, not rowcount: PostgreSQL's driver reports -1 for this insert.
    return session.scalar(stmt.returning(Subscription.id)) is not None


def ensure_subscription(session: Session, channel_id: str, created_by: str | None = None) -> bool:
    """Subscribe a channel that never was (COOPNEWS_CHANNEL at first start).

    A channel that already got announcements and was then unsubscribed by an
    admin stays unsubscribed across restarts.
    """
    announced_before = session.scalar(
        select(Delivery.id).where(Delivery.channel_id == channel_id).limit(1)
    )
    if announced_before is not None:
        return False
    return _insert_subscription(
        session,
        channel_id,
        created_by=created_by,
        after_item_id=newest_item_id(session),
        now=utcnow(),
    )


def unsubscribe(session: Session, channel_id: str) -> bool:
    """Stop announcements; posted rows stay (they tell which message shows which item)."""
    session.execute(
        delete(Delivery).where(Delivery.channel_id == channel_id, Delivery.state == PENDING)
    )
    result = session.execute(delete(Subscription).where(Subscription.channel_id == channel_id))
    return result.rowcount > 0


@dataclass(frozen=True)
class ListedSubscription:
    """A subscription as shown: `categories` named as items spell them ([] = all)."""

    channel_id: str
    categories: list[str]
    mode: str
    schedule: str | None
    timezone: str | None
    paused_at: datetime | None
    problem: str | None
    last_posted_at: datetime | None


def list_subscriptions(session: Session, limit: int | None = None) -> list[ListedSubscription]:
    """Subscriptions, oldest first (at most `limit`)."""
    stmt = select(Subscription).order_by(Subscription.created_at, Subscription.id).limit(limit)
    subscriptions = session.scalars(stmt).all()
    known = spellings(session) if any(sub.categories for sub in subscriptions) else {}
    return [
        ListedSubscription(
            sub.channel_id,
            spelled(decode_choice(sub.categories), known),
            sub.mode,
            sub.schedule,
            sub.timezone,
            sub.paused_at,
            sub.problem,
            sub.last_posted_at,
        )
        for sub in subscriptions
    ]


def pause_subscription(
    session: Session, channel_id: str, problem: str, now: datetime | None = None
) -> Subscription | None:
    """Pause an active subscription; returns it only to the one caller that paused it."""
    result = session.execute(
        update(Subscription)
        .where(Subscription.channel_id == channel_id, Subscription.paused_at.is_(None))
        .values(paused_at=now or utcnow(), problem=problem)
    )
    if result.rowcount != 1:
        return None
    return get_subscription(session, channel_id)


def note_problem(session: Session, channel_id: str, problem: str) -> None:
    """Something admins should fix; cleared by the next successful post."""
    session.execute(
        update(Subscription).where(Subscription.channel_id == channel_id).values(problem=problem)
    )


def advance_digest(session: Session, channel_id: str, due: datetime, next_at: datetime) -> bool:
    """Move a scheduled digest to its next time, once per due time (racing passes)."""
    result = session.execute(
        update(Subscription)
        .where(Subscription.channel_id == channel_id, Subscription.next_digest_at == due)
        .values(next_digest_at=next_at)
    )
    return result.rowcount == 1


# -- planning --------------------------------------------------------------------
def plan_deliveries(session: Session, now: datetime | None = None) -> int:
    """Create a pending row for each new (item, subscribed channel) not yet planned.

    Never announced: items from before the subscription, backfill
    (announce = False), retracted items, items outside the chosen categories.
    The unique (item_id, channel_id) key settles racing passes.
    """
    now = now or utcnow()
    planned = 0
    # One order for every pass: racing inserts on PostgreSQL queue, never deadlock.
    active = session.scalars(
        select(Subscription).where(Subscription.paused_at.is_(None)).order_by(Subscription.id)
    ).all()
    for sub in active:
        wanted = choice_keys(sub.categories)
        already = select(Delivery.id).where(
            Delivery.item_id == Item.id, Delivery.channel_id == sub.channel_id
        )
        candidates = session.execute(
            select(Item.id, Item.category_key)
            .where(
                Item.id > sub.after_item_id,
                Item.announce.is_(True),
                Item.retracted_at.is_(None),
                ~already.exists(),
            )
            .order_by(Item.id)
        ).all()
        rows = [
            {
                "item_id": item_id,
                "channel_id": sub.channel_id,
                "state": PENDING,
                "attempts": 0,
                "digest": False,
                "created_at": now,
            }
            for item_id, key in candidates
            if not wanted or key in wanted
        ]
        if rows:
            stmt = upsert_insert(session, Delivery).on_conflict_do_nothing(
                index_elements=["item_id", "channel_id"]
            )
            planned += len(session.scalars(stmt.returning(Delivery.id), rows).all())
    return planned


def skip_unannounceable(session: Session) -> int:
    """Pending rows whose item was retracted (or turned into backfill) are never posted."""
    gone = select(Item.id).where(or_(Item.retracted_at.is_not(None), Item.announce.is_(False)))
    result = session.execute(
        update(Delivery)
        .where(Delivery.state == PENDING, Delivery.item_id.in_(gone))
        .values(state=SKIPPED, last_error="item retracted or not for announcement")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# -- claims ----------------------------------------------------------------------
def _claimable(now: datetime):
    return or_(
        Delivery.state == PENDING,
        and_(Delivery.state == CLAIMED, Delivery.claimed_until < now),
    )


def channels_with_work(session: Session, now: datetime | None = None) -> Sequence[Subscription]:
    """Active subscriptions that have claimable rows and are due (instant, or digest time)."""
    now = now or utcnow()
    has_work = (
        select(Delivery.id)
        .where(Delivery.channel_id == Subscription.channel_id, _claimable(now))
        .exists()
    )
    due = or_(
        Subscription.mode == INSTANT,
        and_(Subscription.next_digest_at.is_not(None), Subscription.next_digest_at <= now),
    )
    stmt = select(Subscription).where(Subscription.paused_at.is_(None), due, has_work)
    return session.scalars(stmt.order_by(Subscription.channel_id)).all()


def due_digests_without_work(
    session: Session, now: datetime | None = None
) -> Sequence[Subscription]:
    """Scheduled digests that are due but have nothing new: only their time moves on."""
    now = now or utcnow()
    has_work = (
        select(Delivery.id)
        .where(Delivery.channel_id == Subscription.channel_id, _claimable(now))
        .exists()
    )
    stmt = select(Subscription).where(
        Subscription.paused_at.is_(None),
        Subscription.mode != INSTANT,
        Subscription.next_digest_at <= now,
        ~has_work,
    )
    return session.scalars(stmt).all()


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    item_id: int
    channel_id: str
    # A previous claim may have posted it (killed pass, dropped connection):
    # look in the channel's history before posting again.
    uncertain: bool
    created_at: datetime


def claim_deliveries(
    session: Session,
    channel_id: str,
    token: str,
    *,
    timeout_seconds: int,
    limit: int,
    now: datetime | None = None,
) -> list[Claim]:
    """Claim up to `limit` claimable rows of one channel for `timeout_seconds`.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so racing passes take
    disjoint rows without waiting. SQLite: one conditional UPDATE (writes are
    serialised, so no two passes can both see a row claimable).
    """
    now = now or utcnow()
    until = now + timedelta(seconds=timeout_seconds)
    pick = (
        select(Delivery.id)
        .where(Delivery.channel_id == channel_id, _claimable(now))
        .order_by(Delivery.item_id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(pick.with_for_update(skip_locked=True)))
        if not ids:
            return []
        target = Delivery.id.in_(ids)
    else:
        target = and_(Delivery.id.in_(pick.scalar_subquery()), _claimable(now))
    session.execute(
        update(Delivery)
        .where(target)
        .values(
            state=CLAIMED,
            claim_token=token,
            claimed_until=until,
            attempts=Delivery.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.item_id,
            Delivery.channel_id,
            Delivery.attempts,
            Delivery.created_at,
        )
        .where(Delivery.claim_token == token, Delivery.state == CLAIMED)
        .order_by(Delivery.item_id)
    ).all()
    return [Claim(r.id, r.item_id, r.channel_id, r.attempts > 1, r.created_at) for r in rows]


def record_posted(
    session: Session,
    delivery_ids: Sequence[int],
    channel_id: str,
    message_ts: str,
    *,
    digest: bool,
    now: datetime | None = None,
) -> int:
    """The message `message_ts` shows these rows' items: they are done."""
    now = now or utcnow()
    result = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(delivery_ids)), Delivery.state != POSTED)
        .values(
            state=POSTED,
            channel_id=channel_id,
            message_ts=message_ts,
            digest=digest,
            posted_at=now,
            claim_token=None,
            claimed_until=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Subscription)
        .where(Subscription.channel_id == channel_id)
        .values(last_posted_at=now, problem=None)
    )
    return result.rowcount


def release(session: Session, delivery_ids: Sequence[int], token: str, error: str) -> int:
    """Give claimed rows back for a later pass (Slack 5xx, dropped connection...)."""
    return _finish(session, delivery_ids, token, PENDING, error)


def give_up(session: Session, delivery_ids: Sequence[int], token: str, error: str) -> int:
    """Slack refused this message for good (e.g. invalid blocks): never retried."""
    return _finish(session, delivery_ids, token, FAILED, error)


def skip(session: Session, delivery_ids: Sequence[int], token: str, why: str) -> int:
    return _finish(session, delivery_ids, token, SKIPPED, why)


def _finish(session: Session, ids: Sequence[int], token: str, state: str, error: str) -> int:
    if not ids:
        return 0
    result = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(ids)), Delivery.claim_token == token, Delivery.state == CLAIMED)
        .values(state=state, claim_token=None, claimed_until=None, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def announceable_items(session: Session, item_ids: Sequence[int]) -> dict[int, Item]:
    """The items still to be announced (not retracted, not backfill), by id."""
    items = session.scalars(
        select(Item).where(
            Item.id.in_(list(item_ids)), Item.retracted_at.is_(None), Item.announce.is_(True)
        )
    ).all()
    return {item.id: item for item in items}
