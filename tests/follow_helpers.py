"""Helpers for the follow tests: items with chosen words, the pass, what each DM shows."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.announcer import ChannelPacer
from bot.follow_sender import FollowSender
from domain.items import ItemDraft, fingerprint
from storage.entries import add_items
from storage.models import DeliveryState, FollowDelivery
from tests.fake_slack import FakeSlack

_serial = itertools.count()


def add_item(
    db,
    title: str,
    summary: str | None = None,
    category: str | None = "News",
    announce: bool = True,
) -> int:
    n = next(_serial)
    draft = ItemDraft(
        title=title,
        published_at=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=n),
        origin="test",
        fingerprint=fingerprint("follow-test", str(n), title),
        category=category,
        summary=summary,
    )
    with db.transaction() as session:
        return add_items(session, [draft], announce=announce).added[0]


def sender(bolt, clock=None, cap: int | None = None) -> FollowSender:
    """The pass with the app's own deps (settings, fake Web API), unpaced."""
    kwargs = {"pacer": ChannelPacer(0.0)}
    if clock is not None:
        kwargs["clock"] = clock
    if cap is not None:
        kwargs["cap"] = cap
    return FollowSender(bolt.deps, **kwargs)


def dm_items(message: dict) -> list[int]:
    payload = (message.get("metadata") or {}).get("event_payload") or {}
    return [int(i) for i in payload.get("item_ids", [])]


def dms(fake: FakeSlack, user_id: str) -> list[dict]:
    """The DMs the app's DM with `user_id` holds, oldest first."""
    return fake.posted(fake.dm_channel(user_id))


def shown_to(fake: FakeSlack, user_id: str) -> Counter:
    return Counter(i for m in dms(fake, user_id) for i in dm_items(m))


def assert_sent_once(fake: FakeSlack, db, expected: dict[str, list[int]]) -> None:
    """Each person got each expected item exactly once, nothing else; records match."""
    for user_id, items in expected.items():
        shown = shown_to(fake, user_id)
        assert sorted(shown.elements()) == sorted(items), f"{user_id}: {dict(shown)} vs {items}"
    with db.reading() as session:
        rows = session.scalars(
            select(FollowDelivery).where(FollowDelivery.state == DeliveryState.POSTED)
        ).all()
    recorded = {(r.user_id, r.item_id): (r.channel_id, r.message_ts) for r in rows}
    assert len(recorded) == sum(len(v) for v in expected.values())
    for user_id, items in expected.items():
        by_ts = {m["ts"]: dm_items(m) for m in dms(fake, user_id)}
        for item_id in items:
            channel, ts = recorded[(user_id, item_id)]
            assert channel == fake.dm_channel(user_id)
            assert item_id in by_ts[ts]


def drain(*senders: FollowSender, passes: int = 10) -> None:
    for attempt in range(passes):
        report = senders[attempt % len(senders)].run_pass()
        if not (report.messages or report.released or report.recovered):
            return
    raise AssertionError(f"still follow work left after {passes} passes")
