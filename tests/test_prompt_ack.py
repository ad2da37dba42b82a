"""bot/prompt_ack.py: a command is answered when its listener calls ack(), not at
Bolt's next 10 ms poll, and a listener still goes on after its ack (signed requests
dispatched to the app in process, as Slack sends them)."""

from __future__ import annotations

import threading
import time

from tests import feed_samples as samples
from tests.test_http_latest import seven_items
from tests.test_http_sources import followup, sources_in_db


def test_a_command_is_answered_without_waiting_for_a_poll(bolt, db, monkeypatch):
    """Bolt's own wait for ack() sleeps 10 ms at a time
    (slack_bolt.listener.thread_runner): with the hand-off it never sleeps, for a
    listener on the pool (`follows`) as for a quick one (`latest`). Counted, not timed,
    so a loaded machine cannot fail it."""
    from slack_bolt.listener import thread_runner

    polls = []
    real_sleep = time.sleep

    def counting_sleep(seconds: float) -> None:
        if threading.current_thread().name == here:
            polls.append(seconds)
        real_sleep(seconds)

    here = threading.current_thread().name
    monkeypatch.setattr(thread_runner.time, "sleep", counting_sleep)
    seven_items(db)
    for text in ("latest", "follows") * 5:
        assert bolt.command(text).status_code == 200
    assert polls == []


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


def test_quick_subcommands_run_in_the_request_thread(bolt, db, monkeypatch):
    """`latest`, `search`, `categories` and help end at their answer: they run in the
    thread that dispatched the request (no hand-off to the pool and back); the others
    (`follows` here) still run on Bolt's listener pool, and every answer is the same."""
    from bot.listeners.commands.router import CommandRouter

    seen: dict[str, str] = {}
    original = CommandRouter.__call__

    def spy(self, ack, respond, command, client):
        seen[command["text"]] = threading.current_thread().name
        return original(self, ack, respond, command, client)

    monkeypatch.setattr(CommandRouter, "__call__", spy)
    seven_items(db)
    here = threading.current_thread().name
    for text in ("latest 3", "search cooperative", "categories", "", "nonsense", "follows"):
        response = bolt.command(text)
        assert response.status_code == 200 and response.json()["text"], text
    assert seen["latest 3"] == seen["search cooperative"] == seen["categories"] == here
    assert seen[""] == seen["nonsense"] == here
    assert seen["follows"] != here and seen["follows"].startswith("bolt-listener")
