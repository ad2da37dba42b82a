"""The served hit path (bot/answer_cache.AnswerCache.message_json, storage/db.Database.
reading_first): a cached answer is sent as its JSON text and is the body Bolt's own ack()
gives for a freshly built message; the revision read checks its connection out without
a ping, so the first request after the database server restarts (its pooled connections
dropped) must still be answered, by the one retry on a new connection. SQLite and
PostgreSQL (TEST_DATABASE_URL; the restart tests need PostgreSQL behind a proxy)."""

from __future__ import annotations

import json

import pytest
from slack_bolt import Ack
from sqlalchemy import select, text

from bot.listeners.commands.categories import categories_answer
from bot.paging import build_latest_page, build_search_page
from storage import revision
from storage.db import Database
from storage.events import claim_event
from storage.models import ProcessedEvent
from storage.types import utcnow
from tests.conftest import SIGNING_SECRET
from tests.slack_requests import SlackSender
from tests.test_http_curation import add_stored

USERS = ("UMEMBER", "UADMIN")


def bolt_body(message: dict) -> dict:
    """What Bolt's ack() sends for `message` as a slash command's ephemeral answer."""
    ack = Ack()
    ack(response_type="ephemeral", **message)
    return json.loads(ack.response.body)


def fresh(deps, command: str, user: str) -> dict:
    """The message `command` gives, built now from the store (no cache)."""
    with deps.db.reading() as session:
        if command == "latest":
            return build_latest_page(session, deps, user, 5, None)
        if command == "latest 2 housing":
            return build_latest_page(session, deps, user, 2, "housing")
        if command == "search homes":
            return build_search_page(session, deps, user, "homes")
        assert command == "categories"
        return categories_answer(session)


@pytest.mark.parametrize("command", ["latest", "latest 2 housing", "search homes", "categories"])
def test_a_cached_answer_is_the_body_bolt_sends_for_a_fresh_build(bolt, db, command):
    for n in range(4):
        add_stored(db, f"Homes for members {n}", days_ago=n + 1, category="Housing")
    for user in USERS:
        expected = bolt_body(fresh(bolt.deps, command, user))
        hits = bolt.deps.answers.hits
        missed = bolt.command(command, user_id=user)
        served = bolt.command(command, user_id=user)
        assert bolt.deps.answers.hits >= hits + 1  # the second was a hit (categories: both, for an admin)
        for response in (missed, served):
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json;charset=utf-8"
            assert response.json() == expected


def test_a_capped_latest_still_says_so(bolt, db):
    add_stored(db, "Homes for members", category="Housing")
    for _ in range(2):  # a miss, then a hit
        body = bolt.command("latest 500", user_id="UMEMBER").json()
        assert body["response_type"] == "ephemeral"
        assert "Showing at most 20 at a time." in json.dumps(body["blocks"])


def test_the_driver_level_revision_read_is_the_orm_one(db):
    """revision.read_current (the hot path's, on the driver cursor) gives what
    revision.current gives, with no featured item, a live one and an ended one."""
    from datetime import timedelta

    from storage import featured
    from storage.models import Item

    def both(now=None) -> tuple:
        with db.reading_first(revision.read_current) as (connection, _):
            fast = revision.read_current(connection, now=now)
        with db.reading() as session:
            return fast, revision.current(session, now=now)

    fast, slow = both()
    assert fast == slow and not fast.featured_live
    item_id = add_stored(db, "Homes for members")
    with db.transaction() as session:
        until = featured.feature(session, session.get(Item, item_id), "UADMIN")
    fast, slow = both(until - timedelta(seconds=1))
    assert fast == slow and fast.featured_live and fast.version > 0
    fast, slow = both(until + timedelta(seconds=1))
    assert fast == slow and not fast.featured_live


def terminate_backend(database_url: str, pid: int) -> None:
    """End PostgreSQL backend `pid` from another pool (never the connection it kills),
    as a server restart drops a pooled connection behind the pool's back."""
    killer = Database(database_url)
    try:
        with killer.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        killer.dispose()


def test_reading_first_retries_once_on_a_dropped_connection(database_url):
    """The pooled connection is killed behind the pool's back (as a server restart
    does): the revision is still read, on a new connection; a second failure is not
    hidden."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to restart")
    db = Database(database_url)
    try:
        with db.reading_first(revision.read_current) as (connection, _):
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        terminate_backend(database_url, pid)
        with db.reading_first(revision.read_current) as (connection, found):
            assert found == revision.current(connection)
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        db.dispose()


def test_other_checkouts_still_ping_a_dropped_connection_away(database_url):
    """Sessions (`reading`, `transaction`) check out with a ping (storage/db.
    _ping_on_checkout, SQLAlchemy's pool_pre_ping but for reading_first): a pooled
    connection killed behind the pool's back is replaced before use."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to restart")
    db = Database(database_url)
    try:
        for unit in (db.reading, db.transaction):
            with unit() as session:
                pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            terminate_backend(database_url, pid)
            with unit() as session:
                assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        db.dispose()


def test_the_first_requests_after_a_database_restart_are_answered(proxied_web, fake, db):
    """Every pooled connection of the web process is dropped (the proxy cuts them, as a
    restarting server does), then the server is back: the very next requests, a
    cached `latest` and `categories` and an uncached search, answer as before."""
    proc, proxy = proxied_web
    add_stored(db, "Homes for members", category="Housing")
    slack = SlackSender(proc.url, SIGNING_SECRET, fake.response_url("restart"))
    commands = ["latest", "categories", "search homes"]
    before = {c: slack.command(c).json() for c in commands[:2]}
    proxy.cut()
    proxy.restore()
    assert slack.command("latest").json() == before["latest"]
    assert slack.command("categories").json() == before["categories"]
    found = slack.command("search homes").json()
    assert "Homes for members" in json.dumps(found["blocks"])
    assert "Traceback" not in proc.log()


def test_a_connection_back_from_a_served_read_or_claim_is_transactional(db, database_url):
    """The served reads and the event claim run in autocommit on PostgreSQL
    (Database.first_unpinged sets the driver's own switch); the connection must come
    back to the pool transactional, or a later write's rollback would undo nothing."""
    own = Database(database_url, pool_size=1, max_overflow=0)  # its one connection is reused
    try:
        with own.reading_first(revision.read_current):
            pass
        assert claim_event(own, "EvClaimed") is True
        with pytest.raises(RuntimeError), own.transaction() as session:
            session.add(ProcessedEvent(event_id="EvRolledBack", created_at=utcnow()))
            session.flush()
            raise RuntimeError("the request failed after its write")
        with db.reading() as session:
            assert session.scalars(select(ProcessedEvent.event_id)).all() == ["EvClaimed"]
    finally:
        own.dispose()
