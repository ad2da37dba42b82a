"""The announcer against the fake Web API over HTTP: exactly once, flood control, failures."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from bot.blocks.announce import DIGEST_EVENT, ITEM_EVENT
from storage import deliveries, subscriptions
from storage.models import Delivery, Subscription
from storage.types import utcnow
from tests.announce_helpers import (
    add_news,
    announcer,
    assert_exactly_once,
    drain,
    failing_posts,
    items_shown,
    set_item,
    shown_in,
    subscribe,
)


def test_only_new_items_each_once_with_metadata(db, fake, database_url):
    old = add_news(db, 3)
    subscribe(db, "CNEWS")
    new = add_news(db, 2)
    a = announcer(database_url, fake, db)
    report = a.run_pass()
    assert report.items == 2 and report.messages == 2
    messages = fake.posted("CNEWS")
    assert [m["metadata"]["event_type"] for m in messages] == [ITEM_EVENT, ITEM_EVENT]
    assert [items_shown(m) for m in messages] == [[new[0]], [new[1]]]
    assert "Item" in messages[0]["blocks"][0]["text"]["text"]
    assert a.run_pass().messages == 0  # a second pass finds nothing new
    assert_exactly_once(fake, db, {"CNEWS": new})
    assert not set(old) & set(shown_in(fake, "CNEWS"))
    with db.reading() as session:
        sub = subscriptions.get_subscription(session, "CNEWS")
    assert sub.last_posted_at is not None


def test_categories_backfill_and_retracted_are_respected(db, fake, database_url):
    subscribe(db, "CCHAMPS", categories=["COOP Champions"])
    subscribe(db, "CALL")
    news = add_news(db, 2, category="News")
    champs = add_news(db, 2, category="coop champions")
    backfill = add_news(db, 1, category="News")
    retracted = add_news(db, 1, category="COOP Champions")
    set_item(db, backfill[0], announce=False)
    set_item(db, retracted[0], retracted_at=utcnow())
    drain(announcer(database_url, fake, db))
    assert_exactly_once(fake, db, {"CCHAMPS": champs, "CALL": news + champs})


def test_item_retracted_after_planning_is_skipped(db, fake, database_url):
    subscribe(db, "CNEWS")
    ids = add_news(db, 2)
    with db.transaction() as session:
        deliveries.plan_deliveries(session)
    set_item(db, ids[0], retracted_at=utcnow())
    report = announcer(database_url, fake, db).run_pass()
    assert report.skipped == 1
    assert_exactly_once(fake, db, {"CNEWS": [ids[1]]})


def test_more_than_threshold_becomes_one_digest(db, fake, database_url):
    subscribe(db, "CFLOOD")
    subscribe(db, "CQUIET", categories=["Rare"])
    ids = add_news(db, 7)
    rare = add_news(db, 2, category="Rare")
    report = announcer(database_url, fake, db, digest_threshold=5).run_pass()
    flood = fake.posted("CFLOOD")
    assert len(flood) == 1 and flood[0]["metadata"]["event_type"] == DIGEST_EVENT
    assert "9 new items" in flood[0]["blocks"][0]["text"]["text"]
    # two items are not more than the threshold: one message each
    assert [m["metadata"]["event_type"] for m in fake.posted("CQUIET")] == [ITEM_EVENT] * 2
    assert report.messages == 3
    assert_exactly_once(fake, db, {"CFLOOD": ids + rare, "CQUIET": rare})
    with db.reading() as session:
        rows = session.scalars(select(Delivery).where(Delivery.channel_id == "CFLOOD")).all()
    assert {r.message_ts for r in rows} == {flood[0]["ts"]}
    assert all(r.digest for r in rows)


def test_three_racing_passes_with_500s_and_drops(db, fake, database_url):
    channels = ["CRACE1", "CRACE2", "CRACE3", "CRACE4"]
    add_news(db, 2)  # before the subscriptions: never shown
    for channel in channels:
        subscribe(db, channel)
    for channel in channels:
        subscribe(db, channel)  # subscribing again changes nothing about what is new
    ids = add_news(db, 5)
    fake.handlers["chat.postMessage"] = failing_posts(fake, "o5ao5doa5o")
    # Three passes, each with its own engine, as three worker processes would have.
    passes = [announcer(database_url, fake) for _ in range(3)]
    start = threading.Barrier(3)

    def race(a):
        start.wait()
        a.run_pass()

    threads = [threading.Thread(target=race, args=(a,)) for a in passes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    drain(*passes, passes=30)
    assert_exactly_once(fake, db, {channel: ids for channel in channels})
    for a in passes:
        a.db.dispose()


def test_accepted_then_failed_post_is_found_in_history_not_reposted(db, fake, database_url):
    subscribe(db, "CHIST")
    ids = add_news(db, 3)
    fake.handlers["chat.postMessage"] = failing_posts(fake, "oa")
    a = announcer(database_url, fake, db)
    first = a.run_pass()
    assert first.items == 1 and first.released == 2
    second = a.run_pass()
    assert second.recovered == 1 and second.items == 1
    history = fake.calls_to("conversations.history")
    assert history and history[0].params["include_all_metadata"] == "1"
    assert_exactly_once(fake, db, {"CHIST": ids})


def test_429s_are_waited_out_and_channels_paced(db, fake, database_url):
    fake.limit_channels(1.0)
    subscribe(db, "CRATE")
    ids = add_news(db, 3)
    # Without our own pacing the limiter answers 429 and Retry-After is honoured.
    drain(announcer(database_url, fake, db, pace=0.0), passes=5)
    assert fake.rate_limited >= 1
    assert_exactly_once(fake, db, {"CRATE": ids})


def test_paced_posts_never_hit_the_limiter(db, fake, database_url):
    fake.limit_channels(1.0)
    for channel in ("CP1", "CP2", "CP3"):
        subscribe(db, channel)
    ids = add_news(db, 3)
    a = announcer(database_url, fake, db, pace=1.02)
    report = a.run_pass()
    assert report.items == 9 and fake.rate_limited == 0
    posts = fake.calls_to("chat.postMessage")
    # channels go in parallel: 9 posts in about the time of 3 (one channel's 3 take 2 s)
    assert posts[-1].at - posts[0].at < 4.5
    assert_exactly_once(fake, db, {c: ids for c in ("CP1", "CP2", "CP3")})


def test_gone_channel_pauses_tells_admin_once_and_others_go_on(db, fake, database_url):
    fake.add_channel("CGONE", archived=True)
    subscribe(db, "CGONE", created_by="UADMIN")
    subscribe(db, "CFINE")
    ids = add_news(db, 2)
    a = announcer(database_url, fake, db)
    report = a.run_pass()
    assert report.paused == ["CGONE"]
    more = add_news(db, 1)
    a.run_pass()
    dms = [c for c in fake.calls_to("chat.postMessage") if c.params["channel"] == "UADMIN"]
    assert len(dms) == 1
    assert "<#CGONE>" in dms[0].params["text"] and "archived" in dms[0].params["text"]
    assert_exactly_once(fake, db, {"CFINE": ids + more})
    with db.reading() as session:
        sub = subscriptions.get_subscription(session, "CGONE")
        attempts = session.scalars(
            select(Delivery.attempts).where(Delivery.channel_id == "CGONE")
        ).all()
    assert sub.paused_at is not None and "archived" in sub.problem
    assert attempts == [1, 1]  # tried once, not retried while paused


def test_scheduled_digest_waits_for_its_time(db, fake, database_url):
    now = utcnow()
    subscribe(
        db,
        "CDAILY",
        mode="daily",
        schedule="09:00",
        timezone="Europe/Zurich",
        next_digest_at=now + timedelta(hours=1),
    )
    ids = add_news(db, 2)
    a = announcer(database_url, fake, db)
    assert a.run_pass().messages == 0
    assert fake.posted("CDAILY") == []
    with db.transaction() as session:
        sub = session.scalar(select(Subscription).where(Subscription.channel_id == "CDAILY"))
        sub.next_digest_at = now - timedelta(minutes=1)
    assert a.run_pass().messages == 1
    (digest,) = fake.posted("CDAILY")
    assert digest["metadata"]["event_type"] == DIGEST_EVENT
    assert_exactly_once(fake, db, {"CDAILY": ids})
    with db.reading() as session:
        sub = subscriptions.get_subscription(session, "CDAILY")
    assert sub.next_digest_at > utcnow()
    local = sub.next_digest_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Zurich"))
    assert (local.hour, local.minute) == (9, 0)


def test_unsubscribe_stops_and_resubscribe_never_floods(db, fake, database_url):
    subscribe(db, "CBACK")
    first = add_news(db, 1)
    a = announcer(database_url, fake, db)
    a.run_pass()
    with db.transaction() as session:
        assert subscriptions.unsubscribe(session, "CBACK")
    add_news(db, 2)  # while unsubscribed: never shown
    a.run_pass()
    subscribe(db, "CBACK")
    later = add_news(db, 1)
    a.run_pass()
    assert_exactly_once(fake, db, {"CBACK": first + later})


def test_unreadable_history_never_reposts_and_tells_admins(db, fake, database_url):
    subscribe(db, "CSCOPE")
    ids = add_news(db, 1)
    fake.handlers["chat.postMessage"] = failing_posts(fake, "a")
    a = announcer(database_url, fake, db)
    assert a.run_pass().released == 1  # Slack has it; we don't know
    fake.handlers["conversations.history"] = lambda call: {"ok": False, "error": "missing_scope"}
    assert a.run_pass().released == 1  # cannot check: no second post
    assert len(fake.posted("CSCOPE")) == 1
    with db.reading() as session:
        assert "missing_scope" in subscriptions.get_subscription(session, "CSCOPE").problem
    del fake.handlers["conversations.history"]
    assert a.run_pass().recovered == 1
    assert_exactly_once(fake, db, {"CSCOPE": ids})
    with db.reading() as session:
        assert subscriptions.get_subscription(session, "CSCOPE").problem is None


def test_posting_stops_before_the_claim_can_expire(db, fake, database_url):
    import time

    subscribe(db, "CSLOW")
    ids = add_news(db, 2)

    def slow(call):
        time.sleep(3.2)
        return fake.default_answer(call)

    fake.handlers["chat.postMessage"] = slow
    # claim 4 s: posting must end by 3 s; the first post takes 3.2 s
    a = announcer(database_url, fake, db, claim_timeout=4)
    report = a.run_pass()
    assert report.items == 1 and report.released == 1
    del fake.handlers["chat.postMessage"]
    a.run_pass()
    assert_exactly_once(fake, db, {"CSLOW": ids})


def test_configured_channel_is_subscribed_once_and_stays_unsubscribed(db, fake, database_url):
    from bot.announce_job import subscribe_configured_channel

    before = add_news(db, 1)
    deps = announcer(database_url, fake, db, channel="CCONF").deps
    assert subscribe_configured_channel(deps)
    assert not subscribe_configured_channel(deps)  # a restart changes nothing
    with db.reading() as session:
        assert subscriptions.get_subscription(session, "CCONF").after_item_id == max(before)
    ids = add_news(db, 1)
    announcer(database_url, fake, db).run_pass()
    assert_exactly_once(fake, db, {"CCONF": ids})
    with db.transaction() as session:
        subscriptions.unsubscribe(session, "CCONF")
    assert not subscribe_configured_channel(deps)  # the admin's unsubscribe holds
