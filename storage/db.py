"""Engines, sessions and migrations."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InvalidatePoolError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any fixed number: serialises concurrent `db upgrade` runs on PostgreSQL.
_MIGRATION_LOCK_ID = 0x636F6F70


def normalise_url(url: str) -> str:
    """Accept Heroku-style `postgres://` URLs and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# SQLite's page cache per connection, in KiB. Bulk imports touch many index pages
# (items, FTS) and gain from a big one; a serving process keeps a small one: it holds
# a connection per busy thread, and 64 MB each took a gunicorn worker past 200 MB at
# 1,000,000 items. The operating system caches the file for every process anyway:
# commands and App Home timed the same with 512 KiB as with 2 MB (bench/serving.py).
BULK_PAGE_CACHE_KIB = 65536
SERVING_PAGE_CACHE_KIB = 512


def make_engine(url: str, page_cache_kib: int = BULK_PAGE_CACHE_KIB, **kwargs) -> Engine:
    """An engine for `url`; on SQLite with WAL, foreign keys, a busy timeout and a page
    cache of `page_cache_kib` per connection."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _page_cache(page_cache_kib))
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            event.listen(engine, "begin", _shared_memory_guard(database + "-shm"))
        return engine
    engine = create_engine(url, **kwargs)
    event.listen(engine, "checkin", _end_autocommit)
    if "pool_pre_ping" not in kwargs:
        _ping_on_checkout(engine)
    return engine


def _end_autocommit(dbapi_connection, _record) -> None:
    """A PostgreSQL connection goes back to the pool transactional, as it came out:
    Database.first_unpinged sets the driver's autocommit itself (SQLAlchemy's
    isolation_level option, set and reset at each checkout, was about 25 µs of the
    ~95 µs of CPU a served revision read took in process), and this undoes it at
    checkin, whoever closes the connection (None: the connection was invalidated)."""
    if dbapi_connection is not None and not dbapi_connection.closed and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False


# Set while Database.first_unpinged checks a connection out: no ping (it retries instead).
_unpinged = threading.local()


def _ping_on_checkout(engine: Engine) -> None:
    """SQLAlchemy's pool_pre_ping, except for Database.first_unpinged's checkouts.

    Each checkout of a pooled connection (not one just opened) runs the dialect's
    ping (`SELECT 1`, a round trip to the server); one that finds the connection
    dropped (the server restarted) makes the pool drop every connection older than
    now and open a new one (InvalidatePoolError, what pool_pre_ping raises), so the
    request goes on as if nothing happened. Other errors propagate."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def opened(_dbapi_connection, record) -> None:
        record.info["fresh"] = True

    @event.listens_for(engine, "checkout")
    def ping(dbapi_connection, record, _proxy) -> None:
        if record.info.pop("fresh", False) or getattr(_unpinged, "active", False):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise InvalidatePoolError(f"ping failed: {exc}") from exc
            raise


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web and worker processes read while another writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _page_cache(kib: int):
    def set_cache_size(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA cache_size=-{int(kib)}")  # negative: KiB, not pages
        cursor.close()

    return set_cache_size


def _shared_memory_guard(shm_path: str):
    """Refuse a transaction when the WAL's shared-memory file cannot be written.

    SQLite maps `<db>-shm` into memory; if it becomes read-only (an immutable
    file, a remounted disk) while mapped, the next write to it kills the process
    with SIGBUS and the user gets no answer. One access() per transaction turns
    that into an ordinary "read-only" error the entry points answer.
    """

    def check(connection) -> None:
        # access() first: one system call while the file is writable (the usual case).
        if not os.access(shm_path, os.W_OK) and os.path.exists(shm_path):
            raise OperationalError(
                "BEGIN",
                None,
                sqlite3.OperationalError(
                    f"attempt to write a readonly database ({shm_path} is read-only)"
                ),
            )

    return check


def upsert_insert(session: Session, target):
    """An INSERT for `target` (a model or table) that has `on_conflict_do_nothing`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(target)
    if dialect == "sqlite":
        return sqlite.insert(target)
    raise RuntimeError(f"unsupported database: {dialect}")


class Database:
    """One engine and its session factory; callers own each unit of work."""

    def __init__(self, url: str, **engine_kwargs) -> None:
        """`engine_kwargs` go to make_engine (`page_cache_kib`) and create_engine."""
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads. On PostgreSQL its statements run in autocommit: each sees
        the data committed when it starts, as under READ COMMITTED in a transaction,
        without the BEGIN and ROLLBACK round trips (two of the four a `latest` made;
        on a busy machine each waits for the server to be scheduled). SQLite keeps its
        transaction: one snapshot, and the `-shm` check at BEGIN."""
        with self.sessions() as session:
            if self.engine.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session

    @contextmanager
    def reading_first(self, first: Callable[[Connection], T]) -> Iterator[tuple[Connection, T]]:
        """A Core connection for reads (autocommit on PostgreSQL, as `reading()`), and
        `first(connection)`, its first statement's result: `(connection, result)`.

        For the served hot path (bot/answer_cache.py: the revision read that answers
        most requests from the cache). It costs less than `reading()`: no Session, and
        on PostgreSQL no ping at checkout (a round trip to the server, and the
        server's CPU, per request). Instead, when `first` fails because the pooled
        connection was dropped (the server restarted: a DBAPIError with
        `connection_invalidated`), `first` runs once more on a connection checked out
        with the ping, which empties the pool of every older connection (as
        pool_pre_ping does) and opens a new one: the first request after a restart is
        answered, as with the ping. `first` must be a read (it may run twice). Any
        other error, or a second failure (the server is down), propagates.
        """
        connection, result, _retried = self.first_unpinged(first)
        with connection:
            yield connection, result

    def first_unpinged(self, first: Callable[[Connection], T]) -> tuple[Connection, T, bool]:
        """`first(connection)` on a connection checked out without a ping, retried as
        `reading_first` says: `(connection, result, retried)`; the caller closes the
        connection. On PostgreSQL the connection is in autocommit (each statement its
        own transaction), on SQLite in a transaction begun here (committed or rolled back
        by the caller). `retried`: `first` ran twice, the first time on a connection
        found dropped; a write that did may have been committed by the first run before
        its answer was lost (storage.events.claim_event says what it makes of that)."""
        for attempt in (1, 2):
            _unpinged.active = attempt == 1
            try:
                connection = self.engine.connect()
            finally:
                _unpinged.active = False
            try:
                if self.engine.dialect.name == "postgresql":
                    # What isolation_level="AUTOCOMMIT" does, without SQLAlchemy's set and
                    # reset per checkout; _end_autocommit undoes it at checkin.
                    connection.connection.dbapi_connection.autocommit = True
                else:
                    connection.begin()  # as a Session's reads: the `-shm` check at BEGIN
                result = first(connection)
            except DBAPIError as exc:
                connection.close()
                if attempt == 1 and exc.connection_invalidated:
                    continue
                raise
            except BaseException:
                connection.close()
                raise
            return connection, result, attempt == 2
        raise AssertionError("unreachable: the second attempt returns or raises")

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def health(self) -> str:
        """ "up", "read-only" or "down": whether the store answers and can be written.

        The write check is an UPDATE that matches no row, rolled back: SQLite
        refuses it on a read-only file, PostgreSQL in a read-only transaction or
        for a role without the right, and neither writes anything (one index probe).
        """
        try:
            with self.engine.connect() as conn:
                try:
                    conn.execute(text("SELECT 1"))
                except OperationalError as exc:
                    if "readonly" in str(exc.orig):  # the -shm guard: answers, cannot write
                        return "read-only"
                    raise
                try:
                    conn.execute(_WRITE_PROBE)
                except Exception:
                    return "read-only"
                finally:
                    conn.rollback()
            return "up"
        except Exception:
            return "down"

    def dispose(self) -> None:
        self.engine.dispose()


_WRITE_PROBE = text("UPDATE processed_events SET event_id = event_id WHERE event_id = ''")


def describe_failure(exc: BaseException, detail: bool = False) -> str:
    """One line about a database error, no traceback: read-only, no right to write,
    disk full, not answering, or refused. `detail` adds the driver's first line
    (for operators at a terminal; people in Slack do not need the SQL)."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    message = lines[0] if lines else type(orig).__name__
    low = message.lower()
    sqlstate = getattr(orig, "sqlstate", None)
    if "readonly" in low or "read-only" in low or sqlstate == "25006":
        text_ = "the database is read-only, so nothing can be saved"
    elif sqlstate == "42501" or "permission denied" in low:
        text_ = "the database does not let coopnews write"
    elif sqlstate == "53100" or ("disk" in low and "full" in low):
        text_ = "the database's disk is full"
    elif isinstance(exc, OperationalError):
        text_ = "the database does not answer"
    else:
        text_ = "the database refused the change"
    return f"{text_} ({message})" if detail else text_


def is_store_failure(exc: BaseException) -> bool:
    return isinstance(exc, SQLAlchemyError)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = normalise_url(url)
    return config


# `revision = "0019"` / `down_revision = "0018"` (or None) at the top of each migration.
_REVISION_LINE = re.compile(r'^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:"([^"]*)"|None)', re.M)


class UnknownRevisionError(RuntimeError):
    """The store's migration cannot be known from this code: its alembic_version names
    a migration this code does not have (a newer coopnews migrated it, a deploy rolled
    back), or it has coopnews's tables and no alembic_version row (UnversionedStoreError).
    Its message is one line for operators."""


class UnversionedStoreError(UnknownRevisionError):
    """The store has coopnews's tables but no alembic_version row: made by create_all,
    or restored without that table. Migrating it would fail on the first CREATE TABLE
    ("relation … already exists"), so it is refused with one line instead."""


def _migration_revisions() -> tuple[set[str], set[str]]:
    """(every revision, every down_revision) of storage/migrations/versions/*.py."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        fields = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if fields.get("revision"):
            revisions.add(fields["revision"])
            if fields.get("down_revision"):
                parents.add(fields["down_revision"])
    return revisions, parents


def head_revision() -> str:
    """The newest migration's revision, read from storage/migrations/versions/*.py
    without importing Alembic (the revision no other migration names as its
    down_revision). RuntimeError unless there is exactly one such head."""
    revisions, parents = _migration_revisions()
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def _stored_revision(conn) -> str | None:
    """alembic_version's one row (None for a store never migrated). UnknownRevisionError
    when it holds several: coopnews's migrations are one chain, so a store is at one
    (two rows come from a restore into a database already migrated), and which is true
    cannot be known."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:
        raise UnknownRevisionError(
            f"the store's alembic_version holds {len(rows)} rows ({', '.join(sorted(rows))}), "
            "so which migration it is at is unknown (a restore into a database already "
            "migrated?): restore the whole database into an empty one, or point "
            "DATABASE_URL at an empty database and import again"
        )
    return rows[0] if rows else None


def _coopnews_tables(conn) -> list[str]:
    """The tables of storage.models that the store already has (sorted names)."""
    from storage.models import Base

    present = set(inspect(conn).get_table_names())
    return sorted(present & set(Base.metadata.tables))


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations; safe to run from several processes at once. Raises
    UnknownRevisionError for a store a newer coopnews migrated, and its subclass
    UnversionedStoreError for one that has coopnews's tables but no alembic_version row.

    A store already at the head is checked with one read and Alembic is not
    imported: Alembic and what it loads are about 8 MB of every
    process's memory (a gunicorn worker, `coopnews import`: bench/table.py)."""
    url = normalise_url(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stored = _stored_revision(conn)
            if revision == "head" and stored == head_revision():
                return
            if stored is not None and stored not in _migration_revisions()[0]:
                raise UnknownRevisionError(
                    f"the store is at migration {stored}, which this coopnews does not have "
                    "(a newer version migrated it): run that version, or downgrade the "
                    "store with it (alembic downgrade)"
                )
            if stored is None and (tables := _coopnews_tables(conn)):
                shown = ", ".join(tables[:3]) + (", …" if len(tables) > 3 else "")
                raise UnversionedStoreError(
                    f"the store has coopnews tables ({shown}) but no alembic_version row, so "
                    "which migration it is at is unknown (made by create_all, or restored "
                    "without alembic_version): restore the whole database, alembic_version "
                    "included, or point DATABASE_URL at an empty database and import again"
                )
            conn.rollback()
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
                conn.commit()
            try:
                from alembic import command

                config = alembic_config(url)
                config.attributes["connection"] = conn
                command.upgrade(config, revision)
                conn.commit()
                _vacuum_rewritten(conn, stored)
            finally:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK_ID})
                    conn.commit()
    finally:
        engine.dispose()


# PostgreSQL tables a migration rewrites whole: a rewritten table has no page marked
# all-visible and nothing dead, so autovacuum may not visit it for a long time, and
# index-only reads (the title sieve of 0022, storage/search_tsvector.py) wait for it.
VACUUM_AFTER = {"0022": ("items_search",), "0024": ("items_search",)}


def _vacuum_rewritten(conn, stored: str | None) -> None:
    """VACUUM (ANALYZE) the tables a migration just applied rewrote (VACUUM_AFTER),
    once the upgrade has committed: VACUUM cannot run inside a transaction.
    PostgreSQL only; nothing for a store created empty (stored None)."""
    if conn.dialect.name != "postgresql" or stored is None or not stored.isdigit():
        return
    now = _stored_revision(conn)
    conn.rollback()
    # Each table once, however many of the migrations applied rewrote it.
    tables = dict.fromkeys(
        table
        for revision, rewritten in VACUUM_AFTER.items()
        if int(stored) < int(revision) <= int(now or 0)
        for table in rewritten
    )
    if not tables:
        return
    autocommit = conn.execution_options(isolation_level="AUTOCOMMIT")
    for table in tables:
        autocommit.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
    conn.commit()


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
