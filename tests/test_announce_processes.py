"""Announcement passes as real processes: `coopnews announce` killed and rerun,
three racing, and the Procfile's worker announcing by itself."""

from __future__ import annotations

import os
import signal
import threading
import time

from sqlalchemy import select

from storage import subscriptions
from storage.models import Delivery, DeliveryState
from storage.types import utcnow
from tests.announce_helpers import (
    LONG_CLAIM_SECONDS,
    add_news,
    assert_exactly_once,
    expire_claims,
    failing_posts,
    subscribe,
)
from tests.conftest import RunningProcess, app_environment, procfile_command, run_cli


def wait_until(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def states(db, channel: str) -> list[str]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(Delivery.state).where(Delivery.channel_id == channel).order_by(Delivery.id)
            )
        )


def test_pass_killed_after_slack_accepted_is_not_reposted(db, fake, database_url, tmp_path):
    subscribe(db, "CKILL")
    ids = add_news(db, 2)
    env = app_environment(
        database_url, fake, COOPNEWS_CLAIM_TIMEOUT=LONG_CLAIM_SECONDS, COOPNEWS_DIGEST_THRESHOLD="0"
    )
    hang = threading.Event()

    def accept_then_hang(call):
        answer = fake.default_answer(call)  # Slack has the message...
        hang.wait(30)  # ...but the answer never reaches the pass
        return answer

    fake.handlers["chat.postMessage"] = accept_then_hang
    doomed = RunningProcess("coopnews announce", env, tmp_path / "killed.log")
    try:
        wait_until(lambda: fake.posted("CKILL"), what="the first post to be accepted")
        os.killpg(doomed.proc.pid, signal.SIGKILL)
        doomed.proc.wait(10)
    finally:
        hang.set()
        doomed.stop()
    del fake.handlers["chat.postMessage"]
    assert states(db, "CKILL") == ["claimed", "claimed"]

    with db.reading() as session:
        until = max(session.scalars(select(Delivery.claimed_until)))
    # While the claim holds, another pass leaves the channel alone.
    early = run_cli("announce", env=env)
    assert early.returncode == 0, early.stderr
    assert utcnow() < until, "the machine was too slow to try a pass inside the claim"
    assert len(fake.posted("CKILL")) == 1
    assert states(db, "CKILL") == ["claimed", "claimed"]

    expire_claims(db, Delivery)  # the claim's time has passed
    rerun = run_cli("announce", env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert "1 found already posted" in rerun.stdout
    assert fake.calls_to("conversations.history")
    assert_exactly_once(fake, db, {"CKILL": ids})


def test_three_racing_processes_with_429s_and_500s(db, fake, database_url, tmp_path):
    channels = ["CPROC1", "CPROC2", "CPROC3"]
    add_news(db, 1)  # before the subscriptions
    for channel in channels:
        subscribe(db, channel)
    ids = add_news(db, 3)
    fake.limit_channels(1.0)
    fake.handlers["chat.postMessage"] = failing_posts(fake, "o5oa")
    env = app_environment(database_url, fake, COOPNEWS_DIGEST_THRESHOLD="0")
    racers = [
        RunningProcess("coopnews announce", env, tmp_path / f"racer{n}.log") for n in range(3)
    ]
    for racer in racers:
        assert racer.proc.wait(60) == 0, racer.log()
        racer.stop()
    for _ in range(5):
        with db.reading() as session:
            left = session.scalar(
                select(Delivery.id).where(Delivery.state != DeliveryState.POSTED).limit(1)
            )
        if left is None:
            break
        result = run_cli("announce", env=env)
        assert result.returncode == 0, result.stderr
    assert_exactly_once(fake, db, {channel: ids for channel in channels})


def test_procfile_worker_announces_by_itself(db, fake, database_url, tmp_path):
    before = add_news(db, 2)
    env = app_environment(
        database_url, fake, COOPNEWS_ANNOUNCE_INTERVAL="1", COOPNEWS_CHANNEL="CWORKER"
    )
    worker = RunningProcess(procfile_command("worker"), env, tmp_path / "worker.log")
    try:

        def subscribed():
            with db.reading() as session:
                return subscriptions.get_subscription(session, "CWORKER")

        sub = wait_until(subscribed, what=f"COOPNEWS_CHANNEL subscribed\n{worker.log()}")
        assert sub.after_item_id == max(before)
        ids = add_news(db, 2)
        wait_until(
            lambda: len(fake.posted("CWORKER")) == 2,
            what=f"two announcements\n{worker.log()}",
        )
        time.sleep(1.5)  # another pass or two: nothing more
        assert worker.proc.poll() is None, worker.log()
    finally:
        worker.stop()
    assert_exactly_once(fake, db, {"CWORKER": ids})


def test_daily_thread_pass_killed_after_the_parent_was_accepted(db, fake, database_url, tmp_path):
    """`coopnews announce` killed once Slack has the day's parent: the next pass finds
    the parent in the history (its metadata names the day) and replies under it."""
    from storage.models import DailyThread
    from storage.subscriptions import RuleColumns

    subscribe(db, "CTKPROC", rules=RuleColumns(thread="daily"))
    ids = add_news(db, 2)
    env = app_environment(
        database_url, fake, COOPNEWS_CLAIM_TIMEOUT=LONG_CLAIM_SECONDS, COOPNEWS_DIGEST_THRESHOLD="0"
    )
    hang = threading.Event()

    def accept_then_hang(call):
        answer = fake.default_answer(call)
        hang.wait(30)
        return answer

    fake.handlers["chat.postMessage"] = accept_then_hang
    doomed = RunningProcess("coopnews announce", env, tmp_path / "killed-thread.log")
    try:
        wait_until(lambda: fake.posted("CTKPROC"), what="the parent to be accepted")
        os.killpg(doomed.proc.pid, signal.SIGKILL)
        doomed.proc.wait(10)
    finally:
        hang.set()
        doomed.stop()
    del fake.handlers["chat.postMessage"]
    with db.reading() as session:
        (thread,) = session.scalars(select(DailyThread)).all()
    assert thread.parent_ts is None and thread.claimed_until is not None
    # While the claims hold, another pass neither posts a second parent nor replies.
    early = run_cli("announce", env=env)
    assert early.returncode == 0, early.stderr
    assert utcnow() < thread.claimed_until, (
        "the machine was too slow to try a pass inside the claim"
    )
    assert len(fake.posted("CTKPROC")) == 1
    expire_claims(db, DailyThread, Delivery)  # the claims' time has passed
    rerun = run_cli("announce", env=env)
    assert rerun.returncode == 0, rerun.stderr
    messages = fake.posted("CTKPROC")
    parent = messages[0]
    assert parent["metadata"]["event_type"] == "coopnews_thread"
    assert [m.get("thread_ts") for m in messages[1:]] == [parent["ts"]] * 2
    assert "(2 items)" in parent["text"]
    assert_exactly_once(fake, db, {"CTKPROC": ids})
