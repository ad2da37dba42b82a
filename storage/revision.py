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

from sqlalchemy import BigInteger, Column, Connection, Integer, MetaData, Table, select
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


# Core columns only (the featured table, not the ORM entity): on a Connection it runs
# without the ORM's statement handling, the larger part of its cost in a Session.
_featured = Featured.__table__
_CURRENT = select(
    data_revision.c.version,
    select(_featured.c.featured_until).where(_featured.c.id == FEATURE_ID).scalar_subquery(),
).where(data_revision.c.id == 1)


def current(session: Session | Connection, now: datetime | None = None) -> Revision:
    """The revision now: one statement, in a Session or on a Core Connection (cheaper:
    bot/answer_cache.py reads it so on every served request). Run it before reading the
    data it stands for."""
    version, until = session.execute(_CURRENT).one()
    return Revision(version, until is not None and until > (now or utcnow()))
