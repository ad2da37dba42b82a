"""search by date: items_search keeps each visible item's published_at (PostgreSQL)

Search reads each ranking group newest first (storage/search.py). On
PostgreSQL the dates were only in items, so a group was either read along
items' date index, looking up each item's documents in items_search by key
(two index probes and two heap rows per item walked), or its every match was
fetched through the GIN indexes, joined to items for the date and sorted;
which of the two was first decided by a count capped at 2,000 matches. At
1,000,000 items a group of 2,000 to 20,000 matches (two or three common
words) took 100-150 ms.

items_search.published_at now holds the item's published_at while it is
visible (not retracted) and NULL while it is retracted, and
ix_items_search_newest (published_at DESC, item_id DESC, partial: visible
rows only) walks the visible rows newest first: a walk reads each row's
documents from the row it is on, and the sort of a rare group's matches
reads the dates from the same rows, without items. The trigger
coopnews_items_search_sync writes the column, and now also fires when an
item's published_at or retracted_at changes; storage/bulk.py writes it for
bulk inserts.

Existing rows: one UPDATE ... FROM items. The GIN indexes are dropped first
and built again after (an UPDATE writes a new version of every row, and each
would be inserted into both GIN indexes one by one). SQLite: nothing (its FTS5
rowids are already recency keys, migration 0006).

Revision ID: 0021
Revises: 0020
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# The trigger function of migration 0006, writing the date too.
SYNC = """CREATE OR REPLACE FUNCTION coopnews_items_search_sync() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO items_search(item_id, title_document, document, published_at)
        VALUES (
            NEW.id,
            coopnews_search_document(NEW.title),
            coopnews_search_document(NEW.title || ' ' || coalesce(NEW.summary, '')),
            CASE WHEN NEW.retracted_at IS NULL THEN NEW.published_at END
        )
        ON CONFLICT (item_id) DO UPDATE SET
            title_document = EXCLUDED.title_document, document = EXCLUDED.document,
            published_at = EXCLUDED.published_at;
        RETURN NULL;
    END $$"""
# As in migration 0006, without the date.
OLD_SYNC = """CREATE OR REPLACE FUNCTION coopnews_items_search_sync() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO items_search(item_id, title_document, document)
        VALUES (
            NEW.id,
            coopnews_search_document(NEW.title),
            coopnews_search_document(NEW.title || ' ' || coalesce(NEW.summary, ''))
        )
        ON CONFLICT (item_id) DO UPDATE SET
            title_document = EXCLUDED.title_document, document = EXCLUDED.document;
        RETURN NULL;
    END $$"""
GIN_INDEXES = [
    "CREATE INDEX ix_items_search_title_document ON items_search USING gin (title_document)",
    "CREATE INDEX ix_items_search_document ON items_search USING gin (document)",
]

POSTGRES_UP = [
    # Writers wait until the migration commits (the app's own processes upgrade first).
    "LOCK TABLE items IN SHARE MODE",
    "SET LOCAL maintenance_work_mem = '256MB'",
    "ALTER TABLE items_search ADD COLUMN published_at timestamptz",
    "DROP INDEX ix_items_search_title_document",
    "DROP INDEX ix_items_search_document",
    """UPDATE items_search SET published_at = items.published_at
        FROM items WHERE items.id = items_search.item_id AND items.retracted_at IS NULL""",
    *GIN_INDEXES,
    """CREATE INDEX ix_items_search_newest ON items_search (published_at DESC, item_id DESC)
        WHERE published_at IS NOT NULL""",
    SYNC,
    "DROP TRIGGER IF EXISTS items_search_update ON items",
    """CREATE TRIGGER items_search_update
        AFTER UPDATE OF title, summary, published_at, retracted_at ON items
        FOR EACH ROW EXECUTE FUNCTION coopnews_items_search_sync()""",
    "ANALYZE items_search",
]

POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS items_search_update ON items",
    """CREATE TRIGGER items_search_update AFTER UPDATE OF title, summary ON items
        FOR EACH ROW EXECUTE FUNCTION coopnews_items_search_sync()""",
    OLD_SYNC,
    "DROP INDEX IF EXISTS ix_items_search_newest",
    "ALTER TABLE items_search DROP COLUMN published_at",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in POSTGRES_DOWN:
        op.execute(statement)
