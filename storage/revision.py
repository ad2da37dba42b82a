"""The data revision: which state of the shown data a read answer was built from.

`data_revision.version` (one row, migration 0019) goes up after every committed
change to what `latest`, `search`, `categories` and App Home's item parts read:
items inserted or deleted, the columns answers show changed (title, url,
category, summary, dates, retraction), the featured row written or removed.
Database triggers bump it, so every writer is covered in one place: the ORM,
Core and raw SQL, storage/bulk.py's COPY path, cascades, other processes.

One thing read answers depend on changes without a write: the featured item
stops being featured when `featured_until` passes (storage/featured.py). So a
revision is the version and whether the featured row is live at `now`; both
come from one statement (one round trip).

How to use it (bot/answer_cache.py): read the revision FIRST, then the data.
Under READ COMMITTED (PostgreSQL's statements in autocommit, each with its own
snapshot) data read after the revision is at least as new as it: an answer
cached under a revision may show newer data (harmless: the next write bumps
past it), never older. On SQLite, `Database.reading()` is one snapshot for
both. Never derive a revision from a sequence or max(id): PostgreSQL commits
ids out of order, so a reader could see a new id before older transactions
commit their rows, and cache old data under the new key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Dialect, Integer, MetaData, Table, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from storage.featured import FEATURE_ID
from storage.models import Featured
from storage.types import utcnow

# Core table (migration 0019): storage code reads it, never writes it (triggers do).
data_revision = Table(
    "data_revision",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
)


@dataclass(frozen=True)
class Revision:
    """`version`: data_revision.version; `featured_live`: a featured row whose
    featured_until is still ahead (it may name a retracted item: a retraction bumps
    `version` anyway). Hashable: part of answer cache keys."""

    version: int
    featured_live: bool


# What `current` reads, as Core columns (the featured table, not the ORM entity: on a
# Connection it runs without the ORM's statement handling, the larger part of its cost
# in a Session), also for a statement that reads more beside it (App Home's one read,
# storage/home.py): data_revision.version and featured_until.
_featured = Featured.__table__
VERSION = data_revision.c.version
FEATURED_UNTIL = (
    select(_featured.c.featured_until).where(_featured.c.id == FEATURE_ID).scalar_subquery()
)
ONE_ROW = data_revision.c.id == 1  # the WHERE clause that picks data_revision's row
_CURRENT = select(VERSION, FEATURED_UNTIL).where(ONE_ROW)


def current(session: Session | Connection, now: datetime | None = None) -> Revision:
    """The revision now: one statement, in a Session or on a Core Connection (cheaper:
    bot/answer_cache.py reads it so on every served request). Run it before reading the
    data it stands for."""
    version, until = session.execute(_CURRENT).one()
    return of(version, until, now)


def of(version: int, until: datetime | None, now: datetime | None = None) -> Revision:
    """The revision that `version` and `featured_until` (as read together) stand for."""
    return Revision(version, until is not None and until > (now or utcnow()))


# Per dialect name: the statement's SQL (its two constants inlined) and the converter of
# featured_until as the driver returns it (SQLite: text) to an aware datetime.
_compiled: dict[str, tuple[str, Callable[[Any], Any] | None]] = {}


def _compile(dialect: Dialect) -> tuple[str, Callable[[Any], Any] | None]:
    found = _compiled.get(dialect.name)
    if found is None:
        sql = str(_CURRENT.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        until = _featured.c.featured_until.type.dialect_impl(dialect)
        found = _compiled[dialect.name] = (sql, until.result_processor(dialect, None))
    return found


def read_current(connection: Connection, now: datetime | None = None) -> Revision:
    """`current` on `connection`'s driver cursor: the same statement and Revision, without
    SQLAlchemy's execution around it (statement cache, events, result objects: on SQLite
    most of the read's CPU; bot/answer_cache.py reads it on every served request, and
    bench/hit_cost.py measures it). Not seen by statement events (bench/stages.py).

    Errors are SQLAlchemy's, as from `execute`: a driver error becomes DBAPIError
    (OperationalError, ...); one that means the connection was dropped invalidates the
    connection and says so (`connection_invalidated`: storage/db.Database.reading_first
    retries on a new one)."""
    dialect = connection.dialect
    sql, convert = _compile(dialect)
    dbapi_connection = connection.connection.dbapi_connection
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(sql)
            row = cursor.fetchone()
        finally:
            cursor.close()
    except dialect.loaded_dbapi.Error as exc:
        dropped = dialect.is_disconnect(exc, dbapi_connection, None)
        if dropped:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            sql, None, exc, dialect.loaded_dbapi.Error, connection_invalidated=dropped,
            dialect=dialect,
        ) from exc  # fmt: skip
    if row is None:
        raise RuntimeError("data_revision has no row 1: run `coopnews db upgrade`")
    version, until = row
    if convert is not None and until is not None:
        until = convert(until)
    return of(version, until, now)
