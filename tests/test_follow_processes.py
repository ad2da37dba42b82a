"""Follow DMs from real processes: `coopnews announce` killed after Slack took a DM and
run again, three racing, and the Procfile's worker sending by itself."""

from __future__ import annotations

import os
import signal
import threading
import time

from sqlalchemy import select

from domain.words import parse_keywords
from storage import follows
from storage.models import DeliveryState, FollowDelivery
from storage.types import utcnow
from tests.announce_helpers import LONG_CLAIM_SECONDS, expire_claims, failing_posts
from tests.conftest import RunningProcess, app_environment, procfile_command, run_cli
from tests.follow_helpers import add_item, assert_sent_once, dms
from tests.test_announce_processes import wait_until


def follow(db, user: str, words: str) -> None:
    with db.transaction() as session:
        follows.add_follow(session, user, parse_keywords(words))


def states(db) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(FollowDelivery.state).order_by(FollowDelivery.id)))


def test_a_pass_killed_after_slack_took_a_dm_does_not_send_it_again(
    db, fake, database_url, tmp_path
):
    follow(db, "UMEMBER", "housing")
    ids = [add_item(db, "Housing one"), add_item(db, "Housing two")]
    env = app_environment(database_url, fake, COOPNEWS_CLAIM_TIMEOUT=LONG_CLAIM_SECONDS)
    hang = threading.Event()

    def accept_then_hang(call):
        answer = fake.default_answer(call)  # Slack has the DM...
        hang.wait(30)  # ...but the answer never reaches the pass
        return answer

    fake.handlers["chat.postMessage"] = accept_then_hang
    doomed = RunningProcess("coopnews announce", env, tmp_path / "killed.log")
    try:
        wait_until(lambda: dms(fake, "UMEMBER"), what="the first DM to be accepted")
        os.killpg(doomed.proc.pid, signal.SIGKILL)
        doomed.proc.wait(10)
    finally:
        hang.set()
        doomed.stop()
    del fake.handlers["chat.postMessage"]
    assert states(db) == ["claimed", "claimed"]

    with db.reading() as session:
        until = max(session.scalars(select(FollowDelivery.claimed_until)))
    early = run_cli("announce", env=env)
    assert early.returncode == 0, early.stderr
    assert utcnow() < until, "the machine was too slow to try a pass inside the claim"
    assert len(dms(fake, "UMEMBER")) == 1  # the claim holds: nothing sent meanwhile

    expire_claims(db, FollowDelivery)  # the claim's time has passed
    rerun = run_cli("announce", env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert "1 found already sent" in rerun.stdout
    assert fake.calls_to("conversations.open") and fake.calls_to("conversations.history")
    assert_sent_once(fake, db, {"UMEMBER": ids})


def test_three_racing_announce_processes_send_each_dm_once(db, fake, database_url, tmp_path):
    people = ["UMEMBER", "UMEMBER2", "UADMIN"]
    add_item(db, "Housing before")
    for user in people:
        follow(db, user, "housing, rent")
    ids = [add_item(db, f"Housing {n}") for n in range(3)] + [add_item(db, "Rent")]
    fake.handlers["chat.postMessage"] = failing_posts(fake, "o5oa")
    env = app_environment(database_url, fake)
    racers = [
        RunningProcess("coopnews announce", env, tmp_path / f"racer{n}.log") for n in range(3)
    ]
    for racer in racers:
        assert racer.proc.wait(60) == 0, racer.log()
        racer.stop()
    for _ in range(5):
        if set(states(db)) == {DeliveryState.POSTED}:
            break
        result = run_cli("announce", env=env)
        assert result.returncode == 0, result.stderr
    assert_sent_once(fake, db, {user: ids for user in people})


def test_procfile_worker_sends_follow_dms_by_itself(db, fake, database_url, tmp_path):
    follow(db, "UMEMBER2", '"fair trade"')
    env = app_environment(database_url, fake, COOPNEWS_ANNOUNCE_INTERVAL="1")
    worker = RunningProcess(procfile_command("worker"), env, tmp_path / "worker.log")
    try:
        time.sleep(0.5)
        item_id = add_item(db, "Fair trade week")
        wait_until(lambda: dms(fake, "UMEMBER2"), what=f"a follow DM\n{worker.log()}")
        time.sleep(1.5)  # another pass or two: nothing more
        assert worker.proc.poll() is None, worker.log()
    finally:
        worker.stop()
    assert_sent_once(fake, db, {"UMEMBER2": [item_id]})
