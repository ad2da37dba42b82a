"""The daily thread when Slack no longer has what coopnews recorded (signed
`/coopnews subscribe` requests, passes against the fake Web API)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from bot.blocks.announce import THREAD_EVENT
from storage.models import Delivery, DeliveryState
from tests.announce_helpers import add_news, announcer, failing_posts, items_shown


def parents(fake, channel: str) -> list[dict]:
    return [
        m
        for m in fake.posted(channel)
        if (m.get("metadata") or {}).get("event_type") == THREAD_EVENT
    ]


def test_a_thread_parent_deleted_in_slack_gets_a_new_parent_not_a_stuck_channel(
    bolt, db, fake, database_url
):
    bolt.command("subscribe thread daily", user_id="UADMIN", channel_id="CDELPARENT")
    first = add_news(db, 1)
    a = announcer(database_url, fake, db)
    a.run_pass()
    (old,) = parents(fake, "CDELPARENT")
    # Someone deletes the day's parent in Slack: replies to it are refused from now on.
    with fake._post_lock:
        fake.messages["CDELPARENT"].remove(old)

    def post(call):
        if call.params.get("thread_ts") == old["ts"]:
            return {"ok": False, "error": "thread_not_found"}
        return fake.default_answer(call)

    fake.handlers["chat.postMessage"] = post
    later = add_news(db, 2)
    for _ in range(3):
        a.run_pass()
    (new,) = parents(fake, "CDELPARENT")
    assert new["ts"] != old["ts"]
    replies = [m for m in fake.posted("CDELPARENT") if m.get("thread_ts") == new["ts"]]
    assert sorted(i for m in replies for i in items_shown(m)) == later
    with db.reading() as session:
        rows = dict(
            session.execute(
                select(Delivery.item_id, Delivery.state).where(
                    Delivery.channel_id == "CDELPARENT"
                )
            ).all()
        )
    assert rows == {i: DeliveryState.POSTED for i in first + later}
    assert "(2 items)" in new["text"], new["text"]


def test_a_reply_found_after_a_lost_answer_is_counted_by_the_parent(
    bolt, db, fake, database_url
):
    bolt.command("subscribe thread daily", user_id="UADMIN", channel_id="CLOSTREPLY")
    ids = add_news(db, 1)
    # The parent is accepted; Slack takes the reply but its answer is lost (a 503).
    fake.handlers["chat.postMessage"] = failing_posts(fake, "oa")
    a = announcer(database_url, fake, db)
    a.run_pass()
    assert len(fake.posted("CLOSTREPLY")) == 2
    a.run_pass()  # finds the reply in the thread: recorded, not reposted
    (parent,) = parents(fake, "CLOSTREPLY")
    assert len(fake.posted("CLOSTREPLY")) == 2
    with db.reading() as session:
        rows = dict(
            session.execute(
                select(Delivery.item_id, Delivery.state).where(
                    Delivery.channel_id == "CLOSTREPLY"
                )
            ).all()
        )
    assert rows == {ids[0]: DeliveryState.POSTED}
    assert "(1 item)" in parent["text"], parent["text"]


def test_racing_passes_leave_the_parent_with_the_final_count(bolt, db, fake, database_url):
    bolt.command("subscribe thread daily", user_id="UADMIN", channel_id="CCOUNTRACE")
    a = announcer(database_url, fake, db)
    add_news(db, 1)
    a.run_pass()
    (parent,) = parents(fake, "CCOUNTRACE")
    add_news(db, 2)
    replies = []

    def post(call):
        replies.append(call)
        if len(replies) == 2:
            time.sleep(0.3)  # the second reply is slow: the first pass counts before it
        return fake.default_answer(call)

    def update(call):
        if "(2 items)" in str(call.params.get("text")):
            time.sleep(0.8)  # the stale count reaches Slack last
        return fake.default_answer(call)

    fake.handlers["chat.postMessage"] = post
    fake.handlers["chat.update"] = update
    # One message per claim: each pass takes one of the two items.
    passes = [announcer(database_url, fake, claim_timeout=2) for _ in range(2)]
    start = threading.Barrier(2)

    def run(p):
        start.wait()
        p.run_pass()

    threads = [threading.Thread(target=run, args=(p,)) for p in passes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(replies) == 2
    (parent,) = parents(fake, "CCOUNTRACE")
    assert "(3 items)" in parent["text"], parent["text"]
    for p in passes:
        p.db.dispose()


def test_a_deleted_thread_does_not_stop_the_look_for_a_lost_reply(bolt, db, fake, database_url):
    bolt.command("subscribe thread daily", user_id="UADMIN", channel_id="CGONETHREAD")
    add_news(db, 1)
    a = announcer(database_url, fake, db)
    a.run_pass()
    (old,) = parents(fake, "CGONETHREAD")
    # The next reply's answer is lost (Slack has it); then the whole thread is deleted.
    lost = failing_posts(fake, "a")
    fake.handlers["chat.postMessage"] = lost
    (later,) = add_news(db, 1)
    a.run_pass()
    with fake._post_lock:
        fake.messages["CGONETHREAD"] = [
            m
            for m in fake.messages["CGONETHREAD"]
            if old["ts"] not in (m["ts"], m.get("thread_ts"))
        ]

    def post(call):
        if call.params.get("thread_ts") == old["ts"]:
            return {"ok": False, "error": "thread_not_found"}
        return fake.default_answer(call)

    fake.handlers["chat.postMessage"] = post
    for _ in range(3):
        a.run_pass()
    (new,) = parents(fake, "CGONETHREAD")
    replies = [m for m in fake.posted("CGONETHREAD") if m.get("thread_ts") == new["ts"]]
    assert [i for m in replies for i in items_shown(m)] == [later]
    with db.reading() as session:
        state = session.scalar(
            select(Delivery.state).where(
                Delivery.channel_id == "CGONETHREAD", Delivery.item_id == later
            )
        )
    assert state == DeliveryState.POSTED
