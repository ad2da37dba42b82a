"""The processed-event record that makes Slack's redeliveries harmless."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from storage.db import Database
from storage.events import claim_event, prune_events
from storage.models import ProcessedEvent
from storage.types import utcnow
from tests.test_hit_path import terminate_backend


def test_an_event_id_is_claimed_once(db):
    assert claim_event(db, "Ev1") is True
    assert claim_event(db, "Ev1") is False
    assert claim_event(db, "Ev2") is True


def test_a_claim_is_committed_on_its_own(db):
    # Its own transaction: another session sees it at once, whatever follows the claim.
    assert claim_event(db, "EvSeen") is True
    with db.reading() as session:
        assert session.scalars(select(ProcessedEvent.event_id)).all() == ["EvSeen"]


def test_old_event_ids_are_pruned(db):
    claim_event(db, "EvOld")
    claim_event(db, "EvNew")
    with db.transaction() as session:
        session.execute(
            update(ProcessedEvent)
            .where(ProcessedEvent.event_id == "EvOld")
            .values(created_at=utcnow() - timedelta(days=2))
        )
    with db.transaction() as session:
        assert prune_events(session) == 1
    assert claim_event(db, "EvOld") is True
    assert claim_event(db, "EvNew") is False


def test_a_claim_after_the_server_dropped_the_connection_is_made_on_a_new_one(db, database_url):
    """The claim's connection is checked out without a ping (PostgreSQL): killed behind
    the pool's back (as a server restart does), the claim runs again on a new one. An id
    found claimed on that second run may be this delivery's own (its first run may have
    committed before the answer was lost): it counts as a first delivery, not dropped."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to restart")
    own = Database(database_url, pool_size=1, max_overflow=0)  # its one connection is reused

    def backend(connection) -> int:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()

    try:
        assert claim_event(own, "EvBefore") is True
        with own.reading_first(backend) as (_, pid):
            pass
        terminate_backend(database_url, pid)
        assert claim_event(own, "EvAfter") is True
        with own.reading_first(backend) as (_, new_pid):
            assert new_pid != pid
        terminate_backend(database_url, new_pid)
        # Found claimed after a dropped connection, but not by this call's first run
        # (the row's creation time is another claim's): a redelivery, dropped.
        assert claim_event(own, "EvAfter") is False
        assert claim_event(own, "EvAfter") is False  # a healthy connection: a redelivery
        with db.reading() as session:
            claimed = session.scalars(select(ProcessedEvent.event_id)).all()
        assert sorted(claimed) == ["EvAfter", "EvBefore"]
    finally:
        own.dispose()


def _backend(connection) -> int:
    return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_deliveries_on_dropped_connections_claim_an_event_once(database_url):
    """After a server restart every worker's pooled connection is dropped: Slack's first
    delivery and its retry (another worker) each run the claim again on a new
    connection. Exactly one of them claims the event: an id found claimed on the
    second run is this call's own only if its first run wrote it (the row carries
    this call's creation time), else it is another delivery's, and dropped."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to restart")
    workers = [Database(database_url, pool_size=1, max_overflow=0) for _ in range(3)]
    try:
        for worker in workers:
            with worker.reading_first(_backend) as (_, pid):
                pass
            terminate_backend(database_url, pid)
        answers = [claim_event(worker, "EvRestart") for worker in workers]
        assert answers == [True, False, False]
    finally:
        for worker in workers:
            worker.dispose()


def test_a_claim_whose_first_run_committed_is_still_its_own(database_url):
    """The first run's INSERT committed and then the connection was lost before its
    answer came back: the second run finds the row with this call's own creation time,
    and the event is handled (not lost)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to restart")
    own = Database(database_url, pool_size=1, max_overflow=0)
    try:
        with own.reading_first(_backend) as (_, pid):
            pass
        real_connect = own.engine.connect
        calls = []

        def connect_after_commit():
            connection = real_connect()
            if not calls:  # the first run: its statement commits, then the line drops
                calls.append(1)
                original = connection.execute

                def execute(statement, *args, **kwargs):
                    result = original(statement, *args, **kwargs)
                    result.all()
                    terminate_backend(database_url, pid)
                    return original(text("SELECT 1"))

                connection.execute = execute
            return connection

        own.engine.connect = connect_after_commit
        assert claim_event(own, "EvCommitted") is True
        assert claim_event(own, "EvCommitted") is False
    finally:
        own.dispose()
