"""Many new items at once, on PostgreSQL: COPY, and their derived rows in one statement.

Migration 0006 keeps the search index by a trigger per row and 0011 the category
counts by another; an INSERT of many rows binds every value into one long
statement. On PostgreSQL those made most of a large import's time. For an
insert of BULK_ROWS items or more, `insert_items`:

1. COPYs the rows into a temporary staging table (this connection's own);
2. sets `coopnews.bulk` to 'on' for this transaction only (other connections
   never see it): since migration 0017 the two AFTER INSERT triggers (search,
   category count) step aside while it is on;
3. INSERT … SELECT from staging … ON CONFLICT (fingerprint) DO NOTHING, in
   order (a concurrent import of the same rows still settles in the database),
   and in the same statement writes the search rows, category deltas and entry
   keys of the rows it inserted (what the triggers and storage.entries write); the
   new ids come back, and the staging table is truncated;
4. unsets the setting.

2 to 4 are one query (three statements), so a chunk of new items costs the COPY and
one round trip (the import ratio on PostgreSQL suffered most from round trips).

`copy_rows` COPYs rows that cannot conflict (the entry keys of items just
created). SQLite keeps its executemany and triggers (`enabled` is False):
there the statement is prepared once and FTS5 buffers a transaction's rows.
Updates and deletes always keep their triggers.

`streaming` keeps SQLite's page cache at STREAM_CACHE_KB while a document is
stored as a stream (storage.entries): the connection's usual 64 MB would grow
with the import to that size, most of a streamed import's memory. `release`
hands the heap a stored chunk freed back to the system (glibc keeps freed
memory for reuse: without it a 100,000-entry import's RSS climbs by ~25 MB of
memory it no longer uses). `analyze_as_it_grows` refreshes PostgreSQL's
statistics while a stream grows the tables inside its transaction (ANALYZE
counts the transaction's own rows): planned for the empty tables they were at
the start, the identity look-ups scan every key of the import's scope per
chunk, and a 100,000-entry import slows to a few hundred items a second.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Table, text
from sqlalchemy.orm import Session

BULK_ROWS = 200  # inserts of this many items or more go the bulk way
STREAM_CACHE_KB = 4096

# Every column an items row from storage.store.item_row may set, and the defaults of
# the ones it leaves out (the models' Python-side defaults, which COPY does not apply).
ITEM_COLUMNS = (
    "created_at",
    "updated_at",
    "title",
    "url",
    "category",
    "category_key",
    "summary",
    "published_at",
    "origin",
    "fingerprint",
    "link_key",
    "title_key",
    "source_id",
    "announce",
)
_DEFAULTS = {"source_id": None, "announce": True}
# The entry_keys row of each new item rides in the same staging row (its item_id is
# only known once the item is in).
KEY_COLUMNS = ("scope", "key_hash", "link", "title", "date", "summary_hash")
_COLUMNS = ", ".join(ITEM_COLUMNS)
_KEYS = ", ".join(f"key_{c}" for c in KEY_COLUMNS)
_STAGING = "coopnews_new_items"
_CREATE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} ON COMMIT DELETE ROWS AS "
    "SELECT "
    + ", ".join(f"items.{c}" for c in ITEM_COLUMNS)
    + ", 0 AS position, "
    + ", ".join(f"entry_keys.{c} AS key_{c}" for c in KEY_COLUMNS)
    + " FROM items, entry_keys WITH NO DATA"
)

# One round trip (a simple query of three statements, no parameters): the setting is
# on for the INSERT only, and off again before anything else runs in this transaction
# (an update must fire its trigger). The rows inserted feed the other inserts (no
# second look-up of the new ids, which a plan made for an empty table would do by
# scanning items), and the staging table is emptied in the same query.
_INSERT = f"""SELECT set_config('coopnews.bulk', 'on', true);
    WITH new AS (
        INSERT INTO items ({_COLUMNS})
        SELECT {_COLUMNS} FROM {_STAGING} ORDER BY position
        ON CONFLICT (fingerprint) DO NOTHING
        RETURNING id, fingerprint, title, summary, category, category_key, published_at,
                  retracted_at
    ),
    -- The same row as the trigger coopnews_items_search_sync writes (migrations 0006,
    -- 0021: the date of a visible item; 0022's title_bits is generated from the title
    -- document by PostgreSQL on every insert and update, for both alike).
    search AS (
        INSERT INTO items_search(item_id, title_document, document, published_at)
        SELECT id, coopnews_search_document(title),
               coopnews_search_document(title || ' ' || coalesce(summary, '')),
               CASE WHEN retracted_at IS NULL THEN published_at END
        FROM new
    ),
    -- The deltas items_category_insert writes (+1 per visible item), one row per
    -- spelling, in the order of each spelling's newest item (storage/counts.py: the
    -- last stored stays last).
    counts AS (
        INSERT INTO category_counts (category_key, category, delta)
        SELECT coalesce(category_key, ''), coalesce(category, ''), count(*)
        FROM new WHERE retracted_at IS NULL
        GROUP BY coalesce(category_key, ''), coalesce(category, '')
        ORDER BY max(id)
    ),
    -- The new items' keys (storage.entries._insert_keys), in the items' order.
    keys AS (
        INSERT INTO entry_keys (scope, key_hash, item_id, link, title, date, summary_hash)
        SELECT {", ".join(f"staged.key_{c}" if c != "item_id" else "new.id" for c in
                          ("scope", "key_hash", "item_id", "link", "title", "date",
                           "summary_hash"))}
        FROM new JOIN {_STAGING} AS staged USING (fingerprint)
        WHERE staged.key_scope IS NOT NULL
        ORDER BY new.id
    )
    SELECT id, fingerprint FROM new ORDER BY id;
    -- Not DELETE: its dead rows would stay until the import's transaction ends, and
    -- every later chunk would scan them (a 100,000-entry import at half the speed).
    TRUNCATE {_STAGING};
    SELECT set_config('coopnews.bulk', '', true)"""


def enabled(session: Session, rows: int) -> bool:
    """Whether an insert of `rows` rows goes the bulk way."""
    return rows >= BULK_ROWS and session.get_bind().dialect.name == "postgresql"


def insert_items(
    session: Session, rows: Sequence[dict], keys: Sequence[dict] | None = None
) -> list[tuple[int, str]]:
    """Insert new items rows (item_row's dicts), skipping fingerprints already stored:
    (id, fingerprint) of those inserted, in the rows' order. `keys`: for each row, the
    entry_keys row (KEY_COLUMNS) of the item if it goes in, written by the same
    statement. PostgreSQL only (`enabled`). Three round trips: the staging table (on a
    connection's first use), the COPY, and one query. On an error the transaction (or
    the savepoint around it) rolls back, and PostgreSQL undoes the setting with it."""
    # The staging table lives as long as the connection; made (if need be) once per
    # transaction, as a rolled-back one takes its CREATE with it.
    transaction = session.get_transaction()
    if session.info.get(_STAGING) is not transaction:
        session.execute(text(_CREATE))
        session.info[_STAGING] = transaction
    connection = session.connection().connection.dbapi_connection
    none = dict.fromkeys(KEY_COLUMNS)
    _copy(
        session,
        _STAGING,
        (*ITEM_COLUMNS, "position", *(f"key_{c}" for c in KEY_COLUMNS)),
        (
            [
                *(row.get(c, _DEFAULTS.get(c)) for c in ITEM_COLUMNS),
                n,
                *((keys[n] if keys else none)[c] for c in KEY_COLUMNS),
            ]
            for n, row in enumerate(rows)
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(_INSERT)
        cursor.nextset()  # past set_config: the INSERT's rows
        inserted = [(item_id, fp) for item_id, fp in cursor.fetchall()]
    return inserted


def copy_rows(session: Session, table: Table, rows: Sequence[dict]) -> None:
    """COPY rows (dicts with the same keys) into `table`: for rows that cannot conflict."""
    if rows:
        columns = tuple(rows[0])
        _copy(session, table.name, columns, ([row[c] for c in columns] for row in rows))


def _copy(session: Session, table: str, columns: Sequence[str], values) -> None:
    cursor = session.connection().connection.dbapi_connection.cursor()
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in values:
            copy.write_row(row)


@contextmanager
def streaming(session: Session) -> Iterator[None]:
    """While a stream is stored: SQLite's page cache at STREAM_CACHE_KB (then restored)."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    connection = session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{STREAM_CACHE_KB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc: nothing to hand back this way
        return None


_TRIM = _malloc_trim()


def release() -> None:
    """Return freed heap memory to the system, where the C library can (glibc)."""
    if _TRIM is not None:
        _TRIM(0)


def analyze_as_it_grows(session: Session, stored: int, last: int) -> int:
    """PostgreSQL: ANALYZE items and entry_keys each time a stream has doubled what it
    stored since the last time (from 2,000 rows on); returns the new mark."""
    if stored < max(2 * last, 2000) or session.get_bind().dialect.name != "postgresql":
        return last
    # Only the columns the look-ups filter by (and the row counts): text columns cost.
    session.execute(text("ANALYZE items (link_key, title_key), entry_keys (scope, key_hash)"))
    return stored
