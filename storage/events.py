"""Slack event ids already handled, so a retried delivery does no double work."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, literal, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from storage.db import Database, upsert_insert
from storage.models import ProcessedEvent
from storage.types import utcnow

# Slack retries three times within about an hour; a day is ample.
KEEP_EVENT_IDS = timedelta(days=1)

# `SET LOCAL synchronous_commit TO OFF` as a function (set_config with is_local true:
# "the same as SET LOCAL", PostgreSQL docs, "Configuration Settings Functions"), so it
# rides in the claim's one statement: see claim_event.
_RELAXED_COMMIT = select(
    func.set_config("synchronous_commit", "off", true()).label("synchronous_commit")
).cte("relaxed_commit")


def claim_event(db: Database, event_id: str) -> bool:
    """Record `event_id` (at most 100 characters), in a transaction of its own that holds
    nothing else; True if this is its first delivery, False if already claimed. Database
    errors propagate (SQLAlchemyError): nothing is claimed then.

    The primary key settles races between web workers and processes: exactly one
    INSERT wins, whoever runs it. A claim run again after a dropped connection (below)
    tells its own first run's row from another delivery's by its creation time (`now`,
    to the microsecond, bound in both runs). On PostgreSQL the connection is checked out without a
    ping, as the served reads' (storage/db.Database.first_unpinged: a round trip fewer).

    On PostgreSQL the claim commits asynchronously (`synchronous_commit` off for its
    transaction only; PostgreSQL docs, "Asynchronous Commit", wal-async-commit): the
    commit returns without waiting for its WAL record to reach the disk, the wait that
    was most of App Home's claim (issue #16). What that risks: if the database server
    crashes within about 3 × wal_writer_delay (600 ms by default) of the commit, the
    claim is lost as if never made; nothing else is (no corruption, and commits stay in
    order: any later synchronous commit, such as a handler's own write, flushes the
    claim's record with its own). A lost claim only matters if Slack then redelivers
    the event, which it does only for a delivery not acked with a 200 within 3 s: that
    retry is handled a second time. Why that is acceptable (the owner's decision, issue
    #16): the claim only de-duplicates Slack's retries; the only event handled is
    app_home_opened (manifest.yml), whose handler writes nothing and whose
    views.publish is idempotent. The setting is scoped by construction: the claim is
    one statement run in autocommit, so its transaction is that statement alone (no
    handler writes in it: listeners run after it, in their own transactions), and
    set_config's local value ends with it; every other write commits synchronously.
    SQLite: one transaction, committed as every write there (WAL, synchronous=NORMAL).
    """
    now = utcnow()
    if db.engine.dialect.name == "postgresql":
        rows = select(
            literal(event_id, ProcessedEvent.event_id.type),
            literal(now, ProcessedEvent.created_at.type),
        ).select_from(_RELAXED_COMMIT)
        stmt = (
            postgresql.insert(ProcessedEvent)
            .from_select(["event_id", "created_at"], rows)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(ProcessedEvent.event_id)
        )
        connection, claimed, retried = db.first_unpinged(
            lambda connection: connection.execute(stmt).scalar() is not None
        )
        try:
            if retried and not claimed:
                # The first run's connection was found dropped (the server restarted),
                # after its INSERT may have committed. The row is this call's own only
                # if it carries this call's creation time; else another delivery (a
                # retry on another worker, whose connection was dropped too) claimed it.
                stored = connection.execute(
                    select(ProcessedEvent.created_at).where(ProcessedEvent.event_id == event_id)
                ).scalar()
                claimed = stored == now
        finally:
            connection.close()
        return claimed
    with db.transaction() as session:
        stmt = (
            upsert_insert(session, ProcessedEvent)
            .values(event_id=event_id, created_at=now)
            .on_conflict_do_nothing(index_elements=["event_id"])
            # RETURNING, not rowcount: rowcount is not reliable for this on every driver.
            .returning(ProcessedEvent.event_id)
        )
        return session.execute(stmt).scalar() is not None


def prune_events(session: Session, keep: timedelta = KEEP_EVENT_IDS) -> int:
    """Forget event ids older than `keep`; returns how many were removed."""
    stmt = delete(ProcessedEvent).where(ProcessedEvent.created_at < utcnow() - keep)
    return session.execute(stmt).rowcount
