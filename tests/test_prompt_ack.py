"""bot/prompt_ack.py: a command is answered when its listener calls ack(), not at
Bolt's next 10 ms poll, and a listener still goes on after its ack (signed requests
dispatched to the app in process, as Slack sends them)."""

from __future__ import annotations

import statistics
import time

from tests import feed_samples as samples
from tests.test_http_latest import seven_items
from tests.test_http_sources import followup, sources_in_db


def test_a_command_is_answered_without_waiting_for_a_poll(bolt, db):
    seven_items(db)
    elapsed = []
    for _ in range(21):
        started = time.perf_counter()
        assert bolt.command("latest").status_code == 200
        elapsed.append((time.perf_counter() - started) * 1000)
    # Bolt's own wait sleeps 10 ms at a time: every answer took 10 ms or more.
    assert statistics.median(elapsed) < 9, elapsed


def test_the_answer_goes_while_the_listener_goes_on(bolt_private_sources, fake, db, feed_server):
    """`sources add` acks, then reads the feed (slow here): the ack is the HTTP answer,
    the result comes later through response_url, as before bot/prompt_ack.py."""
    feed_server.serve("/slow.xml", samples.simple_rss(2), delay=1.5)
    started = time.monotonic()
    response = bolt_private_sources.command(
        f"sources add {feed_server.url('/slow.xml')}", user_id="UADMIN"
    )
    assert time.monotonic() - started < 1.2
    assert "Reading" in response.json()["text"]
    assert sources_in_db(db) == []  # still reading
    (answer,) = followup(fake)
    assert "Now following" in answer["text"]
    assert time.monotonic() - started >= 1.5
