"""Helpers for the announcement tests: items, subscriptions, and what each channel shows."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.announcer import Announcer, ChannelPacer
from bot.deps import build_deps
from bot.settings import Settings
from domain.items import ItemDraft, fingerprint
from storage import subscriptions
from storage.entries import add_items
from storage.models import Delivery, DeliveryState, Item
from tests.conftest import BOT_TOKEN
from tests.fake_slack import FakeSlack, Reply

_serial = itertools.count()


def add_news(db, count: int, category: str | None = "News", prefix: str = "Item") -> list[int]:
    base = datetime(2026, 11, 1, tzinfo=UTC)
    drafts = []
    for _ in range(count):
        n = next(_serial)
        drafts.append(
            ItemDraft(
                title=f"{prefix} {n}",
                published_at=base + timedelta(minutes=n),
                origin="test",
                fingerprint=fingerprint(prefix, str(n)),
                category=category,
                summary=f"Summary {n}",
            )
        )
    with db.transaction() as session:
        return add_items(session, drafts).added


def set_item(db, item_id: int, **values) -> None:
    with db.transaction() as session:
        session.execute(update(Item).where(Item.id == item_id).values(**values))


def subscribe(db, channel: str, created_by: str | None = "UADMIN", **kwargs) -> None:
    with db.transaction() as session:
        subscriptions.subscribe(session, channel, created_by=created_by, **kwargs)


def make_deps(database_url: str, fake: FakeSlack, db=None, **settings):
    values = dict(
        bot_token=BOT_TOKEN,
        api_url=fake.api_url,
        database_url=database_url,
        digest_threshold=0,
    )
    values.update(settings)
    return build_deps(Settings(**values), db)


def announcer(database_url, fake, db=None, pace: float = 0.0, **settings) -> Announcer:
    return Announcer(make_deps(database_url, fake, db, **settings), pacer=ChannelPacer(pace))


def items_shown(message: dict) -> list[int]:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    if "item_id" in payload:
        return [int(payload["item_id"])]
    return [int(i) for i in payload.get("item_ids", [])]


def shown_in(fake: FakeSlack, channel: str) -> Counter:
    return Counter(i for m in fake.posted(channel) for i in items_shown(m))


def assert_exactly_once(fake: FakeSlack, db, expected: dict[str, list[int]]) -> None:
    """Each expected item shows once in its channel, nothing else anywhere, records match."""
    for channel in set(fake.messages) | set(expected):
        shown = shown_in(fake, channel)
        want = sorted(expected.get(channel, []))
        assert sorted(shown.elements()) == want, f"{channel}: shown {dict(shown)}, expected {want}"
    with db.reading() as session:
        rows = session.scalars(select(Delivery).where(Delivery.state == DeliveryState.POSTED)).all()
    recorded = {(r.channel_id, r.item_id): r.message_ts for r in rows}
    for channel, items in expected.items():
        by_ts = {m["ts"]: items_shown(m) for m in fake.posted(channel)}
        for item_id in items:
            ts = recorded.get((channel, item_id))
            assert ts is not None, f"item {item_id} in {channel} has no posted record"
            assert item_id in by_ts[ts], f"record for {item_id} in {channel} points elsewhere"
    assert len(recorded) == sum(len(v) for v in expected.values())


def drain(*announcers: Announcer, passes: int = 10) -> None:
    """Run passes until one finds nothing left to do."""
    for attempt in range(passes):
        report = announcers[attempt % len(announcers)].run_pass()
        if not (report.messages or report.released or report.recovered):
            return
    raise AssertionError(f"still work left after {passes} passes")


def failing_posts(fake: FakeSlack, pattern: str):
    """chat.postMessage handler following `pattern`, one letter per call, then accepting.

    "o" accept, "5" 500 without posting, "a" accept then answer 503 (Slack has
    it, we don't know), "d" accept then drop the connection.
    """
    from tests.fake_slack import DROP_CONNECTION

    steps = iter(pattern)

    def handler(call):
        step = next(steps, "o")
        if step == "5":
            return Reply({"ok": False, "error": "internal_error"}, 500)
        answer = fake.default_answer(call)
        if isinstance(answer, Reply):  # the limiter said 429
            return answer
        if step == "a":
            return Reply({"ok": False, "error": "service_unavailable"}, 503)
        if step == "d":
            return Reply({}, DROP_CONNECTION)
        return answer

    return handler


# Long enough that a pass started right after a kill runs inside the claim however
# slow the machine (CI shares one: a 10-second claim ran out at load average 11).
LONG_CLAIM_SECONDS = "600"


def expire_claims(db, *models) -> None:
    """End every open claim of `models` (tables with `claimed_until`: Delivery,
    FollowDelivery, DailyThread) a second ago, as if the claim's time had passed:
    a process killed while holding them never releases them, and the next pass
    takes them over as it would once COOPNEWS_CLAIM_TIMEOUT ran out. The tests that
    prove exactly-once across a kill use it instead of sleeping out the claim, so a
    slow machine cannot run out the claim before the pass that must find it held."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    with db.transaction() as session:
        for model in models:
            session.execute(
                update(model).where(model.claimed_until.is_not(None)).values(claimed_until=past)
            )
