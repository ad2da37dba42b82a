"""Delivery records: what makes announcements exactly-once.

One `deliveries` row per (item, channel), unique, planned before anything is
posted. A pass claims rows with a token and an expiry, posts, then records
the message ts. Claims never block each other: PostgreSQL skips rows another
pass holds (FOR UPDATE SKIP LOCKED); SQLite serialises writes, so a single
conditional UPDATE claims atomically. Callers own the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from domain.words import ItemWords, Keywords, parse_keywords
from storage.categories import choice_keys
from storage.db import upsert_insert
from storage.models import (
    Delivery,
    DeliveryState,
    Item,
    ItemSource,
    Subscription,
    SubscriptionMode,
)
from storage.types import utcnow

# How long a `filtered` row is kept (prune_filtered): long enough to look into why a
# channel did not get an item; after that its item is judged by after_item_id alone.
KEEP_FILTERED = timedelta(days=7)
# Rows forgotten per call: one short transaction (SQLite's write lock is held for it).
PRUNE_BATCH = 5000


def prune_filtered(
    session: Session,
    now: datetime | None = None,
    keep: timedelta = KEEP_FILTERED,
    limit: int = PRUNE_BATCH,
) -> int:
    """Forget up to `limit` `filtered` rows planned more than `keep` ago; returns how
    many (fewer than `limit`: none are left).

    A filtered row is what stops plan_deliveries judging its item again for its
    channel (it plans items above the subscription's after_item_id that have no
    row), so each channel's after_item_id is first raised to the newest item whose
    row is forgotten: every item at or below it was judged when that row was planned
    (one pass plans every candidate of a channel), or could never be announced
    (backfill, retracted). Any old rows will do, in any order: no sort. Rows of
    channels no longer subscribed go too; pending, claimed and posted rows stay.
    """
    cutoff = (now or utcnow()) - keep
    batch = session.execute(
        select(Delivery.id, Delivery.channel_id, Delivery.item_id)
        .where(Delivery.state == DeliveryState.FILTERED, Delivery.created_at < cutoff)
        .limit(limit)
    ).all()
    tops: dict[str, int] = {}
    for _, channel, item_id in batch:
        tops[channel] = max(item_id, tops.get(channel, 0))
    # In one order (racing writers on PostgreSQL queue, never deadlock), before the
    # rows go, in the same transaction: no item is ever above the mark and below no row.
    for channel in sorted(tops):
        session.execute(
            update(Subscription)
            .where(Subscription.channel_id == channel, Subscription.after_item_id < tops[channel])
            .values(after_item_id=tops[channel])
        )
    if batch:
        session.execute(delete(Delivery).where(Delivery.id.in_([row.id for row in batch])))
    return len(batch)


def plan_deliveries(session: Session, now: datetime | None = None) -> int:
    """Judge each new (item, subscribed channel) once: a pending row if the channel's
    rules want it, else a `filtered` row (never posted, never judged again).

    Never planned at all: items from before the subscription, backfill
    (announce = False), retracted items. The rules (categories, sources,
    `matching`/`excluding` keywords) are the subscription's when the item is
    planned, so a change applies to items planned afterwards. Keyword rules run
    in Python on the item's title and summary (domain/words.py: no pattern
    engine), each item's words read once per pass whatever the number of
    subscriptions. The unique (item_id, channel_id) key settles racing passes.
    Returns the number of pending rows planned.
    """
    now = now or utcnow()
    planned = 0
    facts = _ItemFacts(session)
    # One order for every pass: racing inserts on PostgreSQL queue, never deadlock.
    active = session.scalars(
        select(Subscription).where(Subscription.paused_at.is_(None)).order_by(Subscription.id)
    ).all()
    for sub in active:
        rule = _Rule.of(sub)
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
        if not candidates:
            continue
        if rule.needs_words:
            facts.read_words([item_id for item_id, _ in candidates])
        if rule.sources:
            facts.read_sources([item_id for item_id, _ in candidates])
        rows = []
        for item_id, key in candidates:
            wanted = rule.wants(item_id, key, facts)
            rows.append(
                {
                    "item_id": item_id,
                    "channel_id": sub.channel_id,
                    "state": DeliveryState.PENDING if wanted else DeliveryState.FILTERED,
                    "attempts": 0,
                    "digest": False,
                    "created_at": now,
                }
            )
        stmt = upsert_insert(session, Delivery).on_conflict_do_nothing(
            index_elements=["item_id", "channel_id"]
        )
        inserted = session.scalars(stmt.returning(Delivery.state), rows).all()
        planned += sum(1 for state in inserted if state == DeliveryState.PENDING)
    return planned


@dataclass(frozen=True)
class _Rule:
    """One subscription's filters, read once per pass."""

    categories: frozenset[str]
    sources: frozenset[int]
    matching: Keywords
    excluding: Keywords

    @classmethod
    def of(cls, sub: Subscription) -> _Rule:
        sources = frozenset(
            int(piece)
            for piece in (sub.source_ids or "").replace(",", " ").split()
            if piece.isdigit()
        )
        return cls(
            frozenset(choice_keys(sub.categories)),
            sources,
            _keywords(sub.matching or ""),
            _keywords(sub.excluding or ""),
        )

    @property
    def needs_words(self) -> bool:
        return bool(self.matching or self.excluding)

    def wants(self, item_id: int, category_key: str | None, facts: _ItemFacts) -> bool:
        if self.categories and category_key not in self.categories:
            return False
        if self.sources and not (self.sources & facts.sources.get(item_id, frozenset())):
            return False
        if self.needs_words:
            words = facts.words[item_id]
            if self.matching and not words.matches_any(self.matching):
                return False
            if self.excluding and words.matches_any(self.excluding):
                return False
        return True


@lru_cache(maxsize=8192)
def _keywords(text: str) -> Keywords:
    """A stored rule, parsed once per process (rules change far less often than passes run)."""
    return parse_keywords(text)


class _ItemFacts:
    """Items' words and sources, each read from the database once per pass."""

    CHUNK = 500

    def __init__(self, session: Session) -> None:
        self.session = session
        self.words: dict[int, ItemWords] = {}
        self.sources: dict[int, frozenset[int]] = {}
        self._sources_read: set[int] = set()

    def read_words(self, item_ids: Sequence[int]) -> None:
        missing = [i for i in item_ids if i not in self.words]
        for start in range(0, len(missing), self.CHUNK):
            chunk = missing[start : start + self.CHUNK]
            rows = self.session.execute(
                select(Item.id, Item.title, Item.summary).where(Item.id.in_(chunk))
            )
            for item_id, title, summary in rows:
                self.words[item_id] = ItemWords(title, summary)

    def read_sources(self, item_ids: Sequence[int]) -> None:
        missing = [i for i in item_ids if i not in self._sources_read]
        for start in range(0, len(missing), self.CHUNK):
            chunk = missing[start : start + self.CHUNK]
            found: dict[int, set[int]] = {i: set() for i in chunk}
            own = self.session.execute(
                select(Item.id, Item.source_id).where(
                    Item.id.in_(chunk), Item.source_id.is_not(None)
                )
            )
            linked = self.session.execute(
                select(ItemSource.item_id, ItemSource.source_id).where(
                    ItemSource.item_id.in_(chunk)
                )
            )
            for item_id, source_id in [*own, *linked]:
                found[item_id].add(source_id)
            self.sources.update({i: frozenset(ids) for i, ids in found.items()})
            self._sources_read.update(chunk)


def skip_unannounceable(session: Session) -> int:
    """Pending rows whose item was retracted (or turned into backfill) are never posted."""
    gone = select(Item.id).where(or_(Item.retracted_at.is_not(None), Item.announce.is_(False)))
    result = session.execute(
        update(Delivery)
        .where(Delivery.state == DeliveryState.PENDING, Delivery.item_id.in_(gone))
        .values(state=DeliveryState.SKIPPED, last_error="item retracted or not for announcement")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# -- claims ----------------------------------------------------------------------
def _claimable(now: datetime):
    return or_(
        Delivery.state == DeliveryState.PENDING,
        and_(Delivery.state == DeliveryState.CLAIMED, Delivery.claimed_until < now),
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
        Subscription.mode == SubscriptionMode.INSTANT,
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
        Subscription.mode != SubscriptionMode.INSTANT,
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
            state=DeliveryState.CLAIMED,
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
        .where(Delivery.claim_token == token, Delivery.state == DeliveryState.CLAIMED)
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
    thread_ts: str | None = None,
    now: datetime | None = None,
) -> int:
    """The message `message_ts` shows these rows' items: they are done (`thread_ts`:
    the daily thread's parent it replies to, None for a top-level message)."""
    now = now or utcnow()
    result = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(delivery_ids)), Delivery.state != DeliveryState.POSTED)
        .values(
            state=DeliveryState.POSTED,
            channel_id=channel_id,
            message_ts=message_ts,
            digest=digest,
            thread_ts=thread_ts,
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
    return settle_claims(session, Delivery, delivery_ids, token, DeliveryState.PENDING, error)


def give_up(session: Session, delivery_ids: Sequence[int], token: str, error: str) -> int:
    """Slack refused this message for good (e.g. invalid blocks): never retried."""
    return settle_claims(session, Delivery, delivery_ids, token, DeliveryState.FAILED, error)


def skip(session: Session, delivery_ids: Sequence[int], token: str, why: str) -> int:
    return settle_claims(session, Delivery, delivery_ids, token, DeliveryState.SKIPPED, why)


def settle_claims(
    session: Session, model: type, ids: Sequence[int], token: str, state: str, error: str
) -> int:
    """End the claim `token` holds on rows `ids` of `model` (Delivery, or a follow's
    FollowDelivery: the same claim columns) in `state`, noting `error`. Rows claimed
    again by another pass since are left alone. Returns how many rows were settled."""
    if not ids:
        return 0
    result = session.execute(
        update(model)
        .where(
            model.id.in_(list(ids)),
            model.claim_token == token,
            model.state == DeliveryState.CLAIMED,
        )
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


# -- messages already posted (deliveries are written by the announcer) -----
@dataclass(frozen=True)
class PostedMessage:
    channel_id: str
    message_ts: str
    digest: bool


def posted_messages(session: Session, item_id: int) -> list[PostedMessage]:
    """The Slack messages that show this item."""
    stmt = (
        select(Delivery.channel_id, Delivery.message_ts, Delivery.digest)
        .where(
            Delivery.item_id == item_id,
            Delivery.state == DeliveryState.POSTED,
            Delivery.message_ts.is_not(None),
        )
        .order_by(Delivery.id)
    )
    return [PostedMessage(*row) for row in session.execute(stmt)]


def digest_items(session: Session, channel_id: str, message_ts: str) -> Sequence[Item]:
    """The visible items one digest message shows, in the announcer's order (item id)."""
    stmt = (
        select(Item)
        .join(Delivery, Delivery.item_id == Item.id)
        .where(
            Delivery.channel_id == channel_id,
            Delivery.message_ts == message_ts,
            Delivery.state == DeliveryState.POSTED,
            Item.retracted_at.is_(None),
        )
        .order_by(Delivery.item_id)
    )
    return session.scalars(stmt).all()
