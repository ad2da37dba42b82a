"""Subscriptions: which channels get new items announced, how and when.

One row per channel (unique channel_id). Subscribing plans nothing: only items
stored afterwards are announced (`after_item_id`); storage/deliveries.py plans
and claims the deliveries. Callers own the session.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.categories import decode_choice, encode_choice, spelled, spellings
from storage.db import upsert_insert
from storage.models import Delivery, DeliveryState, Item, Subscription, SubscriptionMode
from storage.types import utcnow


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
    mode: str = SubscriptionMode.INSTANT,
    schedule: str | None = None,
    timezone: str | None = None,
    next_digest_at: datetime | None = None,
    rules: RuleColumns | None = None,
    now: datetime | None = None,
) -> SubscribeResult:
    """Subscribe a channel, or change its subscription (its rules are replaced).

    Only items stored from now on are announced. A paused subscription starts
    afresh (its backlog is dropped), so resuming never floods the channel.
    Rules apply to items planned after the change (deliveries.plan_deliveries
    judges each item once per channel).
    """
    now = now or utcnow()
    fields = dict(
        categories=encode_choice(categories),
        mode=mode,
        schedule=schedule,
        timezone=timezone,
        next_digest_at=next_digest_at,
        **asdict(rules or RuleColumns()),
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
            delete(Delivery).where(Delivery.channel_id == channel_id, Delivery.state == DeliveryState.PENDING)
        )
        existing.after_item_id = newest_item_id(session)
        existing.paused_at = None
        existing.problem = None
        existing.created_by = created_by
    for name, value in fields.items():
        setattr(existing, name, value)
    return SubscribeResult(existing, created=False, resumed=resumed)


@dataclass(frozen=True)
class RuleColumns:
    """A subscription's rules as stored (see storage/models.py, 0012): keyword rules as
    domain/words.py's `Keywords.text` ("" or None = none), source IDs comma-separated."""

    matching: str | None = None
    excluding: str | None = None
    source_ids: str | None = None
    format: str = "full"
    previews: bool = False
    mention: str | None = None
    thread: str | None = None


def rule_columns(sub: Subscription) -> RuleColumns:
    return RuleColumns(
        matching=sub.matching,
        excluding=sub.excluding,
        source_ids=sub.source_ids,
        format=sub.format or "full",
        previews=bool(sub.previews),
        mention=sub.mention,
        thread=sub.thread,
    )


def claim_mention(
    session: Session,
    channel_id: str,
    every: timedelta = timedelta(hours=1),
    now: datetime | None = None,
) -> bool:
    """Take the channel's mention slot: True at most once per `every` (racing passes
    included: one conditional UPDATE, only one of them changes the row)."""
    now = now or utcnow()
    result = session.execute(
        update(Subscription)
        .where(
            Subscription.channel_id == channel_id,
            or_(Subscription.last_mention_at.is_(None), Subscription.last_mention_at <= now - every),
        )
        .values(last_mention_at=now)
    )
    return result.rowcount == 1


def release_mention(session: Session, channel_id: str, claimed_at: datetime) -> bool:
    """Give back the mention slot taken at `claimed_at` (claim_mention's `now`): the
    message that carried it surely never reached Slack. Only that claim is undone."""
    result = session.execute(
        update(Subscription)
        .where(Subscription.channel_id == channel_id, Subscription.last_mention_at == claimed_at)
        .values(last_mention_at=None)
    )
    return result.rowcount == 1


def _insert_subscription(
    session: Session, channel_id: str, *, created_by: str | None, after_item_id: int, now: datetime
) -> bool:
    """Insert unless the channel already has one (two admins at once: one row)."""
    row = {
        "channel_id": channel_id,
        "created_by": created_by,
        "created_at": now,
        "after_item_id": after_item_id,
        "mode": SubscriptionMode.INSTANT,
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
        delete(Delivery).where(Delivery.channel_id == channel_id, Delivery.state == DeliveryState.PENDING)
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
    rules: RuleColumns = field(default_factory=lambda: RuleColumns())


def list_subscriptions(session: Session, limit: int | None = None) -> list[ListedSubscription]:
    """Subscriptions, oldest first (at most `limit`)."""
    stmt = select(Subscription).order_by(Subscription.created_at, Subscription.id).limit(limit)
    subscriptions = session.scalars(stmt).all()
    known = spellings(session) if any(sub.categories for sub in subscriptions) else {}
    return [listed(sub, known) for sub in subscriptions]


def listed(sub: Subscription, known: Mapping[str, str]) -> ListedSubscription:
    """`sub` as shown, its category keys spelled as `known` (key -> spelling,
    storage.categories.spellings) spells them."""
    return ListedSubscription(
        sub.channel_id,
        spelled(decode_choice(sub.categories), known),
        sub.mode,
        sub.schedule,
        sub.timezone,
        sub.paused_at,
        sub.problem,
        sub.last_posted_at,
        rule_columns(sub),
    )


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
