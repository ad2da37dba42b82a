"""Counts kept as items change: signed deltas appended by triggers (migration 0011).

A count is the sum of its rows. Writers only append (+1 / -1), so concurrent
transactions never queue or deadlock on a shared counter row; `fold` sums the
rows into one per group from time to time, in SQL, so the tables stay the size
of what they count (categories, sources), not of the archive.
"""

from __future__ import annotations

from sqlalchemy import Table, case, delete, func, insert, select, text
from sqlalchemy.orm import Session

# Fold a table once it has this many rows.
FOLD_AFTER = 2_000
# PostgreSQL: rewrite a folded table whose file is this big (about 15,000 rows' worth).
COMPACT_BYTES = 1 << 20
FOLD_LOCK = 0x636E_6631  # pg_try_advisory_xact_lock key: one fold at a time


def due(session: Session, *tables: Table) -> bool:
    """Whether any of `tables` has FOLD_AFTER rows or more: one query, reading at most
    that many ids of each (every read of counts asks, so it is one round trip)."""
    sizes = [
        select(func.count())
        .select_from(select(table.c.id).limit(FOLD_AFTER).subquery())
        .scalar_subquery()
        for table in tables
    ]
    return any(n >= FOLD_AFTER for n in session.execute(select(*sizes)).one())


def fold(session: Session, table: Table, groups: list[str], force: bool = False) -> int | None:
    """Fold `table`'s deltas (columns `id`, `delta` and `groups`) into one row per group;
    returns the rows left (None: not folded now).

    Only past FOLD_AFTER rows unless `force`. Safe beside writers (they only append)
    and other folds: on PostgreSQL one statement deletes exactly the rows whose sums it
    inserts, and a transaction lock lets one fold run at a time (another skips, never
    waits); SQLite runs one writer at a time. Groups keep the order of their newest
    positive delta (what was stored last stays last).
    """
    if not force and not due(session, table):
        return None
    columns = [*groups, "delta"]
    if session.get_bind().dialect.name == "postgresql":
        if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": FOLD_LOCK}):
            return None
        gone = delete(table).returning(*table.c).cte("gone")
        # One statement: the rows it deletes are exactly the rows it sums.
        folded = insert(table).from_select(columns, _sums(gone, groups)).returning(table.c.id)
        return len(session.scalars(folded).all())
    # A write first: from here no other connection writes until this transaction ends.
    folded = insert(table).from_select(columns, _sums(table.select().subquery(), groups))
    added = session.scalars(folded.returning(table.c.id)).all()
    session.execute(delete(table).where(table.c.id < min(added)) if added else delete(table))
    return len(added)


def compact(session: Session, table: Table) -> bool:
    """PostgreSQL: rewrite `table` when a fold left its file mostly dead rows; True when
    it did. Call it in a transaction of its own, after the fold committed.

    A fold of many deltas (a bulk load written around add_items) deletes them all and
    appends the sums at the end of the file: every read of the counts then scans the
    dead pages (500,000 deltas folded: 22 MB, a 7 ms read instead of 0.1 ms; VACUUM
    marks them free but cannot cut the file short of the live rows at its end, 3.7 ms).
    So the few rows left are copied, the table truncated and the rows put back, with
    their ids (the newest spelling stays newest). The table lock is taken NOWAIT:
    while another transaction writes deltas (holds any lock on it) this raises
    sqlalchemy's OperationalError (lock not available) at once, never waits, and the
    caller rolls back (the counts are right either way)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    size = session.scalar(text("SELECT pg_relation_size(CAST(:t AS regclass))"), {"t": table.name})
    if size < COMPACT_BYTES:
        return False
    session.execute(text(f"LOCK TABLE {table.name} IN ACCESS EXCLUSIVE MODE NOWAIT"))
    rows = [dict(row) for row in session.execute(select(table).order_by(table.c.id)).mappings()]
    if len(rows) >= FOLD_AFTER:  # not folded (yet): a rewrite would gain little
        return False
    session.execute(text(f"TRUNCATE {table.name}"))
    if rows:
        session.execute(insert(table), rows)
    return True


def _sums(rows, groups: list[str]):
    """Each group with a positive sum, and its sum, oldest first."""
    keys = [rows.c[name] for name in groups]
    newest = func.max(case((rows.c.delta > 0, rows.c.id), else_=0))
    return (
        select(*keys, func.sum(rows.c.delta))
        .group_by(*keys)
        .having(func.sum(rows.c.delta) > 0)
        .order_by(newest)
    )
