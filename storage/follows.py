"""Personal follows and their direct messages: what makes them exactly-once and capped.

A follow is one person's own rule (`domain.words` keywords, optionally one
category key): new items matching it come to them in a direct message, once.
The protocol is the announcer's (storage/deliveries.py): one
`follow_deliveries` row per (item, person), unique, planned before anything
is sent; a pass claims a person's rows with a token and an expiry, sends, then
records the DM's channel and ts. Each new item is matched against every follow
once (`follow_scans` remembers it), so a pass costs the new items, not the
archive.

The daily cap (`cap` DMs a person's local day) is counted while the person's
`follow_people` row is locked by an UPDATE at the start of the claim's
transaction (a row lock on PostgreSQL; SQLite's one writer): racing passes
count one after the other and can never both hand out the last slots. Rows over
the cap wait (`hold_until`, the next morning in the person's zone) and are then
claimed together for one digest, which counts against nothing. Callers own the
session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from domain.words import ItemWords, Keywords, parse_keywords
from storage.db import upsert_insert
from storage.deliveries import PostedMessage, settle_claims
from storage.models import (
    DeliveryState,
    Follow,
    FollowDelivery,
    FollowPerson,
    FollowScan,
    Item,
)
from storage.types import utcnow

# At most this many follows per person (each is matched against every new item).
MAX_FOLLOWS = 25
# At most this many new items are matched per pass (the rest wait for the next one).
SCAN_BATCH = 2000
SETTLED = timedelta(hours=1)


# -- follows ---------------------------------------------------------------------
class TooManyFollows(Exception):
    """The person already has MAX_FOLLOWS follows."""


@dataclass(frozen=True)
class Added:
    follow: Follow
    created: bool  # False: the same words (and category) were already followed
    number: int  # its number in the person's list (as `follows` shows it)


def list_follows(session: Session, user_id: str) -> list[Follow]:
    """The person's follows, oldest first: `follows` numbers them 1, 2, …"""
    return list(
        session.scalars(select(Follow).where(Follow.user_id == user_id).order_by(Follow.id))
    )


def add_follow(
    session: Session,
    user_id: str,
    keywords: Keywords,
    category_key: str | None = None,
    now: datetime | None = None,
) -> Added:
    """Follow `keywords` (in `category_key` if given) from now on.

    Only items added after this moment are sent (`after_item_id`, like a
    subscription). The same rule twice is one follow. Raises TooManyFollows
    at MAX_FOLLOWS.
    """
    now = now or utcnow()
    ensure_person(session, user_id)
    # Serialise one person's follow/unfollow (the person row's lock), so the limit holds.
    lock_person(session, user_id, now)
    mine = list_follows(session, user_id)
    text = keywords.text
    for number, follow in enumerate(mine, 1):
        if follow.keywords == text and follow.category_key == category_key:
            return Added(follow, False, number)
    if len(mine) >= MAX_FOLLOWS:
        raise TooManyFollows
    after = session.scalar(select(func.max(Item.id))) or 0
    follow = Follow(
        user_id=user_id,
        keywords=text,
        category_key=category_key,
        created_at=now,
        after_item_id=after,
    )
    session.add(follow)
    session.flush()
    return Added(follow, True, len(mine) + 1)


def remove_follow(session: Session, user_id: str, number: int) -> Follow | None:
    """Remove the person's follow number `number` (as `follows` numbers them).

    Only the person's own follows are numbered, so nobody can remove another's.
    Its DMs not yet sent (waiting for the morning digest, say) are dropped.
    Returns the removed follow, or None when they have no such number.
    """
    ensure_person(session, user_id)
    lock_person(session, user_id, utcnow())
    mine = list_follows(session, user_id)
    if not 1 <= number <= len(mine):
        return None
    follow = mine[number - 1]
    session.execute(
        update(FollowDelivery)
        .where(
            FollowDelivery.follow_id == follow.id,
            FollowDelivery.state == DeliveryState.PENDING,
        )
        .values(state=DeliveryState.SKIPPED, last_error="unfollowed", hold_until=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(Follow).where(Follow.id == follow.id))
    session.expunge(follow)
    return follow


def count_follows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Follow)) or 0


# -- people ------------------------------------------------------------------------
def ensure_person(session: Session, user_id: str) -> None:
    stmt = upsert_insert(session, FollowPerson).on_conflict_do_nothing(index_elements=["user_id"])
    session.execute(stmt, [{"user_id": user_id}])


def lock_person(session: Session, user_id: str, now: datetime) -> None:
    """Take the person's row lock for the rest of the transaction (a write, so SQLite
    takes its write lock here too, before anything is counted)."""
    session.execute(
        update(FollowPerson)
        .where(FollowPerson.user_id == user_id)
        .values(locked_at=now)
        .execution_options(synchronize_session=False)
    )


def person(session: Session, user_id: str) -> FollowPerson | None:
    return session.get(FollowPerson, user_id)


def set_timezone(session: Session, user_id: str, timezone: str | None, now: datetime) -> None:
    ensure_person(session, user_id)
    session.execute(
        update(FollowPerson)
        .where(FollowPerson.user_id == user_id)
        .values(timezone=timezone, timezone_checked_at=now)
        .execution_options(synchronize_session=False)
    )


def set_dm_channel(session: Session, user_id: str, channel_id: str) -> None:
    session.execute(
        update(FollowPerson)
        .where(FollowPerson.user_id == user_id, FollowPerson.dm_channel.is_distinct_from(channel_id))
        .values(dm_channel=channel_id)
        .execution_options(synchronize_session=False)
    )


# -- planning ------------------------------------------------------------------------
def plan_follow_deliveries(session: Session, now: datetime | None = None) -> int:
    """Match the items not scanned yet against every follow; plan a row per
    (item, person) that matches. Returns how many rows were planned.

    Never sent: items from before the follow, backfill (announce = False),
    retracted items. Racing passes may scan the same item: the unique
    (item_id, user_id) key and ON CONFLICT DO NOTHING settle it.
    """
    now = now or utcnow()
    follows = session.execute(
        select(Follow.id, Follow.user_id, Follow.keywords, Follow.category_key, Follow.after_item_id)
        .order_by(Follow.id)
    ).all()
    if not follows:
        return 0
    # Items at or below `floor` need no look: older than every follow, or scanned
    # and settled (every item up to the largest id scanned SETTLED ago has been seen:
    # no transaction stays open that long), so a pass reads only the new items.
    settled = session.scalar(
        select(func.max(FollowScan.item_id)).where(FollowScan.scanned_at < now - SETTLED)
    )
    floor = max(min(f.after_item_id for f in follows), settled or 0)
    scanned = select(FollowScan.item_id).where(FollowScan.item_id == Item.id)
    items = session.execute(
        select(Item.id, Item.title, Item.summary, Item.category_key, Item.announce, Item.retracted_at)
        .where(Item.id > floor, ~scanned.exists())
        .order_by(Item.id)
        .limit(SCAN_BATCH)
    ).all()
    if not items:
        return 0
    rules = [(f, parse_keywords(f.keywords)) for f in follows]
    rows: dict[tuple[int, str], dict] = {}
    for item in items:
        if not item.announce or item.retracted_at is not None:
            continue  # backfill and retracted items: marked scanned, never sent
        words = None
        for follow, keywords in rules:
            if item.id <= follow.after_item_id or (item.id, follow.user_id) in rows:
                continue
            if follow.category_key is not None and item.category_key != follow.category_key:
                continue
            words = words or ItemWords(item.title, item.summary)
            if words.matches_any(keywords):
                rows[(item.id, follow.user_id)] = {
                    "item_id": item.id,
                    "user_id": follow.user_id,
                    "follow_id": follow.id,
                    "state": DeliveryState.PENDING,
                    "attempts": 0,
                    "digest": False,
                    "created_at": now,
                }
    planned = 0
    if rows:
        stmt = upsert_insert(session, FollowDelivery).on_conflict_do_nothing(
            index_elements=["item_id", "user_id"]
        )
        planned = len(session.scalars(stmt.returning(FollowDelivery.id), list(rows.values())).all())
    marks = upsert_insert(session, FollowScan).on_conflict_do_nothing(index_elements=["item_id"])
    session.execute(marks, [{"item_id": item.id, "scanned_at": now} for item in items])
    return planned


def skip_unsendable(session: Session) -> int:
    """Pending rows whose item was retracted (or turned into backfill) are never sent."""
    gone = select(Item.id).where(or_(Item.retracted_at.is_not(None), Item.announce.is_(False)))
    result = session.execute(
        update(FollowDelivery)
        .where(FollowDelivery.state == DeliveryState.PENDING, FollowDelivery.item_id.in_(gone))
        .values(state=DeliveryState.SKIPPED, last_error="item retracted or not for announcement")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# -- claims --------------------------------------------------------------------------
def _claimable(now: datetime):
    return or_(
        FollowDelivery.state == DeliveryState.PENDING,
        and_(FollowDelivery.state == DeliveryState.CLAIMED, FollowDelivery.claimed_until < now),
    )


def _due(now: datetime):
    return or_(FollowDelivery.hold_until.is_(None), FollowDelivery.hold_until <= now)


def people_with_work(session: Session, now: datetime | None = None) -> list[str]:
    """People with rows to send now (new ones, or a morning digest that is due)."""
    now = now or utcnow()
    stmt = (
        select(FollowDelivery.user_id)
        .where(_claimable(now), _due(now))
        .distinct()
        .order_by(FollowDelivery.user_id)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class FollowClaim:
    delivery_id: int
    item_id: int
    follow_id: int | None
    # A previous claim may have sent it: look in the DM history before sending again.
    uncertain: bool
    created_at: datetime


@dataclass(frozen=True)
class PersonClaim:
    """What one pass may send one person now: single DMs within the day's cap, and
    the rows for a morning digest; `held` rows went over the cap and wait."""

    singles: list[FollowClaim]
    digest: list[FollowClaim]
    held: int


def local_day(now: datetime, timezone: str) -> str:
    return now.astimezone(ZoneInfo(timezone)).date().isoformat()


def claim_for_person(
    session: Session,
    user_id: str,
    token: str,
    *,
    timezone: str,
    cap: int,
    morning: datetime,
    timeout_seconds: int,
    now: datetime | None = None,
) -> PersonClaim:
    """Claim what may go to `user_id` now, for `timeout_seconds`.

    Under the person's row lock: count the DMs of their local day (in
    `timezone`, an IANA name) already sent or being sent, claim new rows up to
    `cap`, hold the rest for the digest at `morning` (UTC), and claim the held
    rows whose morning has come as one digest. A row whose earlier claim
    expired is claimed again whatever the count (it may already be in Slack:
    the caller looks before sending).
    """
    now = now or utcnow()
    until = now + timedelta(seconds=timeout_seconds)
    ensure_person(session, user_id)
    lock_person(session, user_id, now)
    today = local_day(now, timezone)
    used = session.scalar(
        select(func.count())
        .select_from(FollowDelivery)
        .where(
            FollowDelivery.user_id == user_id,
            FollowDelivery.digest.is_(False),
            FollowDelivery.day == today,
            or_(
                FollowDelivery.state == DeliveryState.POSTED,
                and_(
                    FollowDelivery.state == DeliveryState.CLAIMED,
                    FollowDelivery.claimed_until >= now,
                ),
            ),
        )
    )
    rows = session.execute(
        select(
            FollowDelivery.id,
            FollowDelivery.item_id,
            FollowDelivery.follow_id,
            FollowDelivery.attempts,
            FollowDelivery.hold_until,
            FollowDelivery.created_at,
        )
        .where(FollowDelivery.user_id == user_id, _claimable(now), _due(now))
        .order_by(FollowDelivery.item_id)
    ).all()
    digest = [r for r in rows if r.hold_until is not None]
    fresh = [r for r in rows if r.hold_until is None]
    retried = [r for r in fresh if r.attempts > 0]
    new = [r for r in fresh if r.attempts == 0]
    allowance = max(0, cap - used - len(retried))
    singles = sorted(retried + new[:allowance], key=lambda r: r.item_id)
    held = new[allowance:]
    if held:
        session.execute(
            update(FollowDelivery)
            .where(FollowDelivery.id.in_([r.id for r in held]))
            .values(hold_until=morning)
            .execution_options(synchronize_session=False)
        )
    for group, values in ((singles, {"day": today, "digest": False}), (digest, {"digest": True, "day": None})):
        if group:
            session.execute(
                update(FollowDelivery)
                .where(FollowDelivery.id.in_([r.id for r in group]), _claimable(now))
                .values(
                    state=DeliveryState.CLAIMED,
                    claim_token=token,
                    claimed_until=until,
                    attempts=FollowDelivery.attempts + 1,
                    **values,
                )
                .execution_options(synchronize_session=False)
            )

    def claims(group) -> list[FollowClaim]:
        return [FollowClaim(r.id, r.item_id, r.follow_id, r.attempts > 0, r.created_at) for r in group]

    return PersonClaim(claims(singles), claims(digest), len(held))


def record_sent(
    session: Session,
    delivery_ids: Sequence[int],
    user_id: str,
    channel_id: str,
    message_ts: str,
    *,
    digest: bool,
    now: datetime | None = None,
) -> int:
    """The DM `message_ts` in `channel_id` (the person's DM channel) shows these rows' items."""
    now = now or utcnow()
    result = session.execute(
        update(FollowDelivery)
        .where(
            FollowDelivery.id.in_(list(delivery_ids)),
            FollowDelivery.state != DeliveryState.POSTED,
        )
        .values(
            state=DeliveryState.POSTED,
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
    set_dm_channel(session, user_id, channel_id)
    return result.rowcount


def release(session: Session, ids: Sequence[int], token: str, error: str) -> int:
    """Give claimed rows back for a later pass (Slack 5xx, dropped connection…)."""
    return settle_claims(session, FollowDelivery, ids, token, DeliveryState.PENDING, error)


def give_up(session: Session, ids: Sequence[int], token: str, error: str) -> int:
    """Slack refused for good (user gone, invalid blocks): never retried."""
    return settle_claims(session, FollowDelivery, ids, token, DeliveryState.FAILED, error)


def skip(session: Session, ids: Sequence[int], token: str, why: str) -> int:
    return settle_claims(session, FollowDelivery, ids, token, DeliveryState.SKIPPED, why)


def follows_by_id(session: Session, ids: Sequence[int | None]) -> dict[int, Follow]:
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return {f.id: f for f in session.scalars(select(Follow).where(Follow.id.in_(wanted)))}


# -- DMs already sent (for corrections) ----------------------------------------------
def posted_dms(session: Session, item_id: int) -> list[PostedMessage]:
    """The DMs that show this item (channel is the DM channel, D…)."""
    stmt = (
        select(FollowDelivery.channel_id, FollowDelivery.message_ts, FollowDelivery.digest)
        .where(
            FollowDelivery.item_id == item_id,
            FollowDelivery.state == DeliveryState.POSTED,
            FollowDelivery.message_ts.is_not(None),
            FollowDelivery.channel_id.is_not(None),
        )
        .order_by(FollowDelivery.id)
    )
    return [PostedMessage(*row) for row in session.execute(stmt)]


@dataclass(frozen=True)
class SentDM:
    """What one follow DM shows now: its visible items, whether it is a digest, and
    the follow a single DM was sent for (None once unfollowed)."""

    digest: bool
    items: list[Item]
    follow: Follow | None


def sent_dm(session: Session, channel_id: str, message_ts: str) -> SentDM | None:
    """The follow DM at (channel, ts); None when that message is not a follow DM."""
    rows = session.execute(
        select(FollowDelivery.item_id, FollowDelivery.digest, FollowDelivery.follow_id)
        .where(
            FollowDelivery.channel_id == channel_id,
            FollowDelivery.message_ts == message_ts,
            FollowDelivery.state == DeliveryState.POSTED,
        )
        .order_by(FollowDelivery.item_id)
    ).all()
    if not rows:
        return None
    items = session.scalars(
        select(Item)
        .where(Item.id.in_([r.item_id for r in rows]), Item.retracted_at.is_(None))
        .order_by(Item.id)
    ).all()
    follow = session.get(Follow, rows[0].follow_id) if rows[0].follow_id is not None else None
    return SentDM(any(r.digest for r in rows), list(items), follow)
