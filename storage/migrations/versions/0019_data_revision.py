"""data revision: one number that changes whenever what read answers show changes

`data_revision` holds one row (id 1, by a CHECK) whose `version` goes up after
every committed change to what `latest`, `search`, `categories` and App Home's
item parts read (storage/revision.py, bot/answer_cache.py):

- `items`: insert, delete, and updates of the columns answers show or filter
  by (title, url, category, category_key, summary, published_at,
  retracted_at). The search index and the category counts follow these
  columns (migrations 0006, 0011, storage/bulk.py, all in the same statement
  or transaction as the item), so they are covered too. Columns no answer
  shows (source_id, announce, the identity keys, updated_at alone) do not bump.
- `featured`: insert, update, delete (cascaded deletes included).

On SQLite, writes are serialised by the database lock: per-row triggers
update the one row, and the lock is already held by the writer.

On PostgreSQL, an immediate UPDATE of one shared row would hold its lock from
the first item write to COMMIT: every item writer would queue behind it, and
two writers could deadlock (each holds the counter or an item row the other
wants). So the trigger is a CONSTRAINT TRIGGER, DEFERRABLE INITIALLY
DEFERRED: it runs at COMMIT, when the transaction holds every other lock it
will take, and the counter's lock lasts from there to the end of the commit.
Its WHEN clause queues one event per transaction: the first row that passes
sets the transaction-local `coopnews.revision_queued` (set_config(..., true));
later rows (a 100,000-row bulk INSERT included, whatever `coopnews.bulk` says)
see it set and queue nothing. A rolled-back savepoint drops both its queued
event and its setting, so the outer transaction queues again on its next
write. A rolled-back transaction fires nothing, and changed nothing.

Never a sequence or max(id): PostgreSQL commits ids out of order, so a reader
could see a new number before the data it stands for. A bump goes to the
version plus one or to the clock in microseconds, whichever is more, and the
row starts at the clock: a database restored from a backup, or dropped and made
again, never repeats a number a running process has cached answers under (after
a restore the old number is read until the next write: answers cached under it
were built from that same data).

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# The columns of items that some answer shows, filters or searches by.
ANSWER_COLUMNS = "title, url, category, category_key, summary, published_at, retracted_at"
# Up by one, or to the clock in microseconds if that is more: a database restored from
# a backup, or dropped and made again, goes on from numbers no process has seen.
NOW_US = {
    "postgresql": "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint",
    "sqlite": "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)",
}
BUMP = {
    "postgresql": f"UPDATE data_revision SET version = greatest(version + 1, {NOW_US['postgresql']})",
    "sqlite": f"UPDATE data_revision SET version = max(version + 1, {NOW_US['sqlite']})",
}

SQLITE_EVENTS = {
    "items_revision_insert": "AFTER INSERT ON items",
    "items_revision_update": f"AFTER UPDATE OF {ANSWER_COLUMNS} ON items",
    "items_revision_delete": "AFTER DELETE ON items",
    "featured_revision_insert": "AFTER INSERT ON featured",
    "featured_revision_update": "AFTER UPDATE ON featured",
    "featured_revision_delete": "AFTER DELETE ON featured",
}

# First row of a transaction: true, and the setting is set (CASE evaluates in order).
QUEUE_ONCE = """CASE WHEN coalesce(current_setting('coopnews.revision_queued', true), '') = 'on'
        THEN false
        ELSE set_config('coopnews.revision_queued', 'on', true) = 'on' END"""
POSTGRES_EVENTS = {
    "items_revision": f"AFTER INSERT OR DELETE OR UPDATE OF {ANSWER_COLUMNS} ON items",
    "featured_revision": "AFTER INSERT OR UPDATE OR DELETE ON featured",
}


def upgrade() -> None:
    op.create_table(
        "data_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_data_revision"),
        sa.CheckConstraint("id = 1", name="ck_data_revision_one_row"),
    )
    dialect = op.get_bind().dialect.name
    op.execute(f"INSERT INTO data_revision (id, version) VALUES (1, {NOW_US[dialect]})")
    if dialect == "postgresql":
        op.execute(
            f"""CREATE FUNCTION coopnews_revision_bump() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN {BUMP[dialect]} WHERE id = 1; RETURN NULL; END $$"""
        )
        for name, event in POSTGRES_EVENTS.items():
            op.execute(
                f"""CREATE CONSTRAINT TRIGGER {name} {event}
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({QUEUE_ONCE})
                EXECUTE FUNCTION coopnews_revision_bump()"""
            )
        return
    for name, event in SQLITE_EVENTS.items():
        op.execute(f"CREATE TRIGGER {name} {event} BEGIN {BUMP[dialect]} WHERE id = 1; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, event in POSTGRES_EVENTS.items():
            table = event.rsplit(" ", 1)[1]
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS coopnews_revision_bump()")
    else:
        for name in SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("data_revision")
