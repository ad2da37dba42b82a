"""Issue 9 point 5 and issue 11: `coopnews sources poll [ID…]` and `/coopnews sources
poll ID` poll at once, due or not, say what each added, and respect a Retry-After."""

from __future__ import annotations

import re

from bot.admins import REFUSAL
from sources.fetch import FetchOptions
from sources.poller import subscribe
from tests import feed_samples as samples
from tests.conftest import app_environment, run_cli
from tests.test_http_sources import followup, text_of

ALLOW = FetchOptions(allow_private=True, timeout=5)


def two_sources(db, feed_server) -> tuple[int, int]:
    feed_server.serve("/a", samples.simple_rss(2))
    feed_server.serve("/b", samples.simple_rss(1, start=50))
    a = subscribe(db, feed_server.url("/a"), ALLOW, created_by="UADMIN").source.id
    b = subscribe(db, feed_server.url("/b"), ALLOW, created_by="UADMIN").source.id
    feed_server.serve("/a", samples.simple_rss(3))  # one new entry
    feed_server.rate_limit("/b", "7200")
    return a, b


def test_cli_polls_the_named_sources_now_and_respects_retry_after(
    db, session_fake, database_url, feed_server
):
    a, b = two_sources(db, feed_server)
    env = app_environment(database_url, session_fake, COOPNEWS_ALLOW_PRIVATE_SOURCES="1")
    result = run_cli("sources", "poll", str(a), str(b), env=env)
    assert result.returncode == 1  # one of them failed
    lines = result.stdout.splitlines()
    assert lines[0] == f"source {a}: added 1, already present 2"
    assert re.fullmatch(
        rf"source {b}: failed: HTTP 429 from http://\S+/b, asking to wait 7200 s", lines[1]
    )
    asked = len(feed_server.requests_to("/b"))
    result = run_cli("sources", "poll", str(b), env=env)
    assert re.fullmatch(
        rf"source {b}: not polled: the site asked us to wait until \S+ \d\d:\d\d UTC\n",
        result.stdout,
    )
    assert len(feed_server.requests_to("/b")) == asked  # no request sent
    listing = run_cli("sources", "list", env=env).stdout
    assert "(the site asked us to wait)" in listing and "next check: " in listing
    assert run_cli("sources", "poll", env=env).stdout == "no source is due\n"
    missing = run_cli("sources", "poll", "999", env=env)
    assert missing.returncode == 1 and missing.stdout == "source 999: no such source\n"


def test_admins_poll_a_source_from_slack(slack_private_sources, fake, db, feed_server):
    a, b = two_sources(db, feed_server)
    response = slack_private_sources.command(f"sources poll {a}", user_id="UADMIN")
    assert "Polling" in response.json()["text"]
    (answer,) = followup(fake)
    assert answer["response_type"] == "ephemeral"
    assert f"(source {a}): added 1, already present 2" in answer["text"]

    slack_private_sources.command(f"sources poll {b}", user_id="UADMIN")
    assert "failed: HTTP 429" in followup(fake, 2)[-1]["text"]
    slack_private_sources.command(f"sources poll {b}", user_id="UADMIN")
    assert "the site asked us to wait until" in followup(fake, 3)[-1]["text"]
    listed = text_of(slack_private_sources.command("sources", user_id="UMEMBER").json())
    assert "next check:" in listed and "the site asked us to wait" in listed
    assert "HTTP 429" in listed  # the failure shows in the list


def test_members_cannot_poll(slack_private_sources, fake, db, feed_server):
    a, _ = two_sources(db, feed_server)
    before = len(feed_server.requests_to("/a"))
    body = slack_private_sources.command(f"sources poll {a}", user_id="UMEMBER").json()
    assert body["text"] == REFUSAL
    assert len(feed_server.requests_to("/a")) == before
    assert fake.calls_to("response_url") == []


def test_poll_usage_and_unknown_source(slack_private_sources, fake, db):
    body = slack_private_sources.command("sources poll", user_id="UADMIN").json()
    assert "Usage: `/coopnews sources poll ID`" in body["text"]
    body = slack_private_sources.command("sources poll 404", user_id="UADMIN").json()
    assert "There is no source 404" in body["text"]
