"""Polling sources against a local feed server and the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.deps import build_deps
from bot.scheduler import build_scheduler
from bot.settings import load_settings
from bot.source_polling import poll_sources_once
from sources import poller
from sources.fetch import FetchOptions
from sources.poller import SourceProblem, poll_due, poll_source, subscribe
from storage import sources as source_store
from storage.models import Item, Source
from storage.types import utcnow
from tests import feed_samples as samples
from tests.conftest import BOT_TOKEN
from tests.feed_server import FeedServer, Served

ALLOW = FetchOptions(allow_private=True, timeout=5)


@pytest.fixture
def server():
    server = FeedServer().start()
    yield server
    server.stop()


def items(db, source_id=None) -> list[Item]:
    with db.reading() as session:
        stmt = select(Item).order_by(Item.id)
        if source_id is not None:
            stmt = stmt.where(Item.source_id == source_id)
        return list(session.scalars(stmt))


def source(db, source_id) -> Source:
    with db.reading() as session:
        return session.get(Source, source_id)


def make_due(db, source_id) -> None:
    with db.transaction() as session:
        session.execute(
            update(Source)
            .where(Source.id == source_id)
            .values(next_poll_at=utcnow() - timedelta(seconds=1))
        )


class MutableFeed:
    """A route whose body the test changes; answers 304 to a matching ETag."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.version = 1
        self.status = 200

    def set(self, body: str) -> None:
        self.body = body
        self.version += 1

    def __call__(self, request):
        if self.status != 200:
            return Served(self.status, b"broken")
        etag = f'"v{self.version}"'
        if request.headers.get("if-none-match") == etag:
            return Served(304, b"", {"ETag": etag})
        return Served(
            200, self.body.encode(), {"Content-Type": "application/rss+xml", "ETag": etag}
        )


def test_first_poll_is_backfill_later_new_items_are_announced(db, server):
    feed = MutableFeed(samples.simple_rss(3))
    server.routes["/feed"] = feed
    done = subscribe(db, server.url("/feed"), ALLOW, category="Voices", created_by="UADMIN")
    assert (done.added, done.already_present) == (3, 0)
    sid = done.source.id
    backfill = items(db, sid)
    assert [i.announce for i in backfill] == [False, False, False]
    assert {i.origin for i in backfill} == {"feed"}
    assert {i.category for i in backfill} == {"Voices"}
    assert source(db, sid).first_fetched_at is not None

    # The feed gains two entries (one re-dated, http-switched old one too).
    feed.set(samples.simple_rss(5, scheme="http", day=7))
    make_due(db, sid)
    outcome = poll_source(db, sid, ALLOW)
    assert (outcome.status, outcome.added, outcome.already_present) == ("new", 2, 3)
    after = items(db, sid)
    assert len(after) == 5
    assert [i.announce for i in after] == [False, False, False, True, True]
    assert [i.title for i in after if i.announce] == ["Story 3", "Story 4"]


def test_not_due_is_not_polled_and_unchanged_feed_costs_one_304(db, server):
    feed = MutableFeed(samples.simple_rss(2))
    server.routes["/feed"] = feed
    sid = subscribe(db, server.url("/feed"), ALLOW).source.id
    assert poll_due(db, ALLOW) == []  # next poll is 30 minutes away
    assert len(server.requests_to("/feed")) == 1

    make_due(db, sid)
    (outcome,) = poll_due(db, ALLOW)
    assert outcome.status == "unchanged" and outcome.added == 0
    last = server.requests_to("/feed")[-1]
    assert last.headers["if-none-match"] == '"v1"'
    state = source(db, sid)
    assert state.failures == 0 and state.last_error is None
    assert state.next_poll_at > utcnow() + timedelta(minutes=29)


def test_validators_survive_a_304_that_does_not_repeat_them(db, server):
    def bare_304(request):
        if request.headers.get("if-modified-since") == "Mon, 01 Jun 2026 00:00:00 GMT":
            return Served(304, b"")
        headers = {"Last-Modified": "Mon, 01 Jun 2026 00:00:00 GMT", "ETag": '"e"'}
        return Served(200, samples.simple_rss(1).encode(), headers)

    server.routes["/feed"] = bare_304
    sid = subscribe(db, server.url("/feed"), ALLOW).source.id
    for _ in range(2):
        make_due(db, sid)
        assert poll_source(db, sid, ALLOW).status == "unchanged"
    sent = server.requests_to("/feed")
    assert [r.headers.get("if-none-match") for r in sent] == [None, '"e"', '"e"']
    assert source(db, sid).last_modified == "Mon, 01 Jun 2026 00:00:00 GMT"


def test_unchanged_200_body_is_not_parsed_again(db, server, monkeypatch):
    server.serve("/feed", samples.simple_rss(2))  # no validators at all
    sid = subscribe(db, server.url("/feed"), ALLOW).source.id
    import sources.documents

    def must_not_parse(*args, **kwargs):
        raise AssertionError("an unchanged body was parsed")

    monkeypatch.setattr(sources.documents, "read_document", must_not_parse)
    make_due(db, sid)
    outcome = poll_source(db, sid, ALLOW)
    assert outcome.status == "unchanged"
    assert source(db, sid).last_error is None


def test_failures_back_off_growing_and_capped_then_recover(db, server):
    feed = MutableFeed(samples.simple_rss(1))
    server.routes["/feed"] = feed
    sid = subscribe(db, server.url("/feed"), ALLOW).source.id
    feed.status = 500
    delays = []
    for _ in range(7):
        make_due(db, sid)
        before = utcnow()
        outcome = poll_source(db, sid, ALLOW)
        assert outcome.status == "failed" and "HTTP 500" in outcome.error
        delays.append((source(db, sid).next_poll_at - before).total_seconds())
    state = source(db, sid)
    assert state.failures == 7 and "HTTP 500" in state.last_error
    hours = [round(d / 3600, 1) for d in delays]
    assert hours == [1.0, 2.0, 4.0, 6.0, 6.0, 6.0, 6.0]
    # Recovery clears the streak.
    feed.status = 200
    feed.set(samples.simple_rss(2))
    make_due(db, sid)
    assert poll_source(db, sid, ALLOW).added == 1
    state = source(db, sid)
    assert state.failures == 0 and state.last_error is None and state.last_success_at


def test_backoff_delay_pure():
    assert source_store.backoff_delay(1800, 0) == timedelta(minutes=30)
    assert source_store.backoff_delay(1800, 1) == timedelta(hours=1)
    assert source_store.backoff_delay(1800, 50) == timedelta(hours=6)
    assert source_store.backoff_delay(86400, 3) == timedelta(days=1)


def test_malformed_feed_keeps_clean_entries_records_error_and_backs_off(db, server):
    feed = MutableFeed(samples.simple_rss(2))
    server.routes["/feed"] = feed
    sid = subscribe(db, server.url("/feed"), ALLOW).source.id
    feed.set(samples.simple_rss(4).replace("</channel></rss>", "<item><title>cut</ti"))
    make_due(db, sid)
    outcome = poll_source(db, sid, ALLOW)
    assert outcome.added == 2 and "malformed" in outcome.error
    state = source(db, sid)
    assert state.failures == 1 and "malformed" in state.last_error
    assert state.etag is None  # read again next time


def test_not_a_feed_writes_nothing_and_other_sources_still_poll(db, server):
    good = MutableFeed(samples.simple_rss(1))
    bad = MutableFeed(samples.rss2([{"title": "Bad 1", "link": "https://bad.example/1"}]))
    server.routes["/good"] = good
    server.routes["/bad"] = bad
    good_id = subscribe(db, server.url("/good"), ALLOW).source.id
    bad_id = subscribe(db, server.url("/bad"), ALLOW).source.id
    good.set(samples.simple_rss(2))
    bad.set("this is not a feed at all")
    make_due(db, good_id)
    make_due(db, bad_id)
    outcomes = {o.source_id: o for o in poll_due(db, ALLOW)}
    assert outcomes[good_id].added == 1
    assert outcomes[bad_id].status == "failed"
    assert "neither an RSS/Atom feed" in outcomes[bad_id].error
    assert len(items(db, bad_id)) == 1


def test_paused_sources_are_not_polled(db, server):
    server.serve("/feed", samples.simple_rss(1))
    sid = subscribe(db, server.url("/feed"), ALLOW).source.id
    with db.transaction() as session:
        source_store.set_paused(session, sid, True, utcnow())
    make_due(db, sid)
    assert poll_due(db, ALLOW) == []
    with db.transaction() as session:
        source_store.set_paused(session, sid, False, utcnow())
    assert [o.source_id for o in poll_due(db, ALLOW)] == [sid]


def test_subscribe_refuses_private_addresses_and_junk_writing_nothing(db, server):
    server.serve("/feed", samples.simple_rss(1))
    with pytest.raises(SourceProblem, match="loopback"):
        subscribe(db, server.url("/feed"), FetchOptions())
    server.serve("/junk", "hello", "text/plain")
    with pytest.raises(SourceProblem, match="neither"):
        subscribe(db, server.url("/junk"), ALLOW)
    with pytest.raises(SourceProblem, match="only http and https"):
        subscribe(db, "ftp://coop.example/feed", ALLOW)
    with db.reading() as session:
        assert source_store.list_sources(session) == []
    assert items(db) == []
    subscribe(db, server.url("/feed"), ALLOW)
    with pytest.raises(SourceProblem, match="already followed"):
        subscribe(db, server.url("/feed"), ALLOW)


def test_removed_source_keeps_its_items(db, server):
    server.serve("/feed", samples.simple_rss(2))
    sid = subscribe(db, server.url("/feed"), ALLOW).source.id
    with db.transaction() as session:
        assert source_store.remove_source(session, sid) is not None
    assert [i.source_id for i in items(db)] == [None, None]


def test_admin_is_told_once_after_repeated_failures(db, server, fake, database_url):
    feed = MutableFeed(samples.simple_rss(1))
    server.routes["/feed"] = feed
    sid = subscribe(db, server.url("/feed"), ALLOW, created_by="UADMIN").source.id
    feed.status = 404
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": database_url,
            "COOPNEWS_ALLOW_PRIVATE_SOURCES": "1",
        }
    )
    deps = build_deps(settings, db)
    for attempt in range(1, 8):
        make_due(db, sid)
        poll_sources_once(deps)
        posted = fake.calls_to("chat.postMessage")
        assert len(posted) == (0 if attempt < source_store.ALERT_AFTER_FAILURES else 1)
    (dm,) = fake.calls_to("chat.postMessage")
    assert dm.params["channel"] == "UADMIN"
    assert "failed 5 times in a row" in dm.params["text"]
    assert "HTTP 404" in dm.params["text"]
    # After a success, a new streak may alert again.
    feed.status = 200
    make_due(db, sid)
    poll_sources_once(deps)
    assert source(db, sid).failure_notified_at is None


def test_a_source_added_without_slack_alerts_the_configured_admins(db, server, fake, database_url):
    # Added from the terminal or an OPML file: nobody in Slack added it.
    feed = MutableFeed(samples.simple_rss(1))
    server.routes["/feed"] = feed
    sid = subscribe(db, server.url("/feed"), ALLOW).source.id
    feed.status = 500
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": database_url,
            "COOPNEWS_ADMINS": "UCONF1,UCONF2",
            "COOPNEWS_ALLOW_PRIVATE_SOURCES": "1",
        }
    )
    deps = build_deps(settings, db)
    for _ in range(source_store.ALERT_AFTER_FAILURES):
        make_due(db, sid)
        poll_sources_once(deps)
    dms = fake.calls_to("chat.postMessage")
    assert sorted(dm.params["channel"] for dm in dms) == ["UCONF1", "UCONF2"]
    assert all("failed 5 times in a row" in dm.params["text"] for dm in dms)


def test_worker_schedule_has_the_poll_job(db, database_url, fake):
    settings = load_settings(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.api_url, "DATABASE_URL": database_url}
    )
    scheduler = build_scheduler(build_deps(settings, db), blocking=False)
    job = scheduler.get_job("poll-sources")
    assert job is not None and job.trigger.interval == timedelta(seconds=60)


def test_allow_private_sources_setting():
    assert load_settings({}).allow_private_sources is False
    assert load_settings({"COOPNEWS_ALLOW_PRIVATE_SOURCES": "1"}).allow_private_sources is True
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match="COOPNEWS_ALLOW_PRIVATE_SOURCES"):
        load_settings({"COOPNEWS_ALLOW_PRIVATE_SOURCES": "maybe"})


def test_one_source_failing_to_store_does_not_stop_the_others(db, server, monkeypatch):
    server.serve("/a", samples.rss2([{"title": "A", "link": "https://a.example/1"}]))
    server.serve("/b", samples.rss2([{"title": "B", "link": "https://b.example/1"}]))
    a = subscribe(db, server.url("/a"), ALLOW).source.id
    b = subscribe(db, server.url("/b"), ALLOW).source.id
    server.serve("/a", samples.rss2([{"title": "A2", "link": "https://a.example/2"}]))
    server.serve("/b", samples.rss2([{"title": "B2", "link": "https://b.example/2"}]))
    real = poller.add_items

    def broken_for_a(session, drafts, *, source_id, announce):
        if source_id == a:
            raise RuntimeError("disk full")
        return real(session, drafts, source_id=source_id, announce=announce)

    monkeypatch.setattr(poller, "add_items", broken_for_a)
    make_due(db, a)
    make_due(db, b)
    outcomes = poll_due(db, ALLOW)
    assert sorted((o.source_id, o.status, o.added) for o in outcomes) == [
        (a, "failed", 0),
        (b, "new", 1),
    ]
    # nothing half-written for a, and the failure is recorded on it (issue 11)
    assert [i.title for i in items(db, a)] == ["A"]
    state = source(db, a)
    assert (state.failures, state.last_error) == (1, "internal error while storing: disk full")
