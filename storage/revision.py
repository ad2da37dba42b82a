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

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, select
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


# What `current` reads, as columns for a statement that reads more beside it (App
# Home's one read, storage/home.py): data_revision.version and featured_until.
VERSION = data_revision.c.version
FEATURED_UNTIL = select(Featured.featured_until).where(Featured.id == FEATURE_ID).scalar_subquery()
ONE_ROW = data_revision.c.id == 1  # the WHERE clause that picks data_revision's row
_CURRENT = select(VERSION, FEATURED_UNTIL).where(ONE_ROW)


def current(session: Session, now: datetime | None = None) -> Revision:
    """The revision now: one statement. Run it before reading the data it stands for."""
    version, until = session.execute(_CURRENT).one()
    return of(version, until, now)


def of(version: int, until: datetime | None, now: datetime | None = None) -> Revision:
    """The revision that `version` and `featured_until` (as read together) stand for."""
    return Revision(version, until is not None and until > (now or utcnow()))
