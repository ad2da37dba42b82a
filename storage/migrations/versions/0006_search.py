"""full-text search over items, processed Slack events

SQLite: a contentless FTS5 table over items(title, summary) keyed by
recency, kept in sync by triggers. PostgreSQL: a side table holding
tsvectors of the unaccented title and of title + summary, GIN-indexed, kept
in sync by a trigger. Both are derived data: neither appears in storage/models.py, and
storage/search.py is the only code that reads them.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The FTS5 rowid is a recency key, not the item id: published_at in whole
# seconds, times 2**30, plus the id (ids stay below 2**30). FTS5 walks a
# match's rowids in order, so `ORDER BY rowid DESC LIMIT n` reads the n newest
# matches and stops: a page costs the same on a thousand or a million items.
# The table is contentless (the text stays in items) and holds only visible
# items: retracting an item takes it out of the index.
KEY_NEW = "(CAST(strftime('%s', new.published_at) AS INTEGER) * 1073741824 + new.id)"
KEY_OLD = "(CAST(strftime('%s', old.published_at) AS INTEGER) * 1073741824 + old.id)"
ADD_NEW = f"""INSERT INTO items_fts(rowid, title, summary)
        SELECT {KEY_NEW}, new.title, new.summary WHERE new.retracted_at IS NULL;"""
# Contentless FTS5 forgets a row when given the exact values it indexed.
REMOVE_OLD = f"""INSERT INTO items_fts(items_fts, rowid, title, summary)
        SELECT 'delete', {KEY_OLD}, old.title, old.summary WHERE old.retracted_at IS NULL;"""

SQLITE_UP = [
    """CREATE VIRTUAL TABLE items_fts USING fts5(
        title, summary,
        content='',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    f"CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN {ADD_NEW} END",
    f"CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN {REMOVE_OLD} END",
    f"""CREATE TRIGGER items_fts_update
        AFTER UPDATE OF title, summary, published_at, retracted_at ON items
        BEGIN {REMOVE_OLD} {ADD_NEW} END""",
    # Items stored before this migration.
    """INSERT INTO items_fts(rowid, title, summary)
        SELECT CAST(strftime('%s', published_at) AS INTEGER) * 1073741824 + id, title, summary
        FROM items WHERE retracted_at IS NULL""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS items_fts_update",
    "DROP TRIGGER IF EXISTS items_fts_delete",
    "DROP TRIGGER IF EXISTS items_fts_insert",
    "DROP TABLE IF EXISTS items_fts",
]

# The same expression builds documents here and queries in storage/search.py.
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is only STABLE (it reads a dictionary); naming the dictionary
    # makes this wrapper safe to declare IMMUTABLE and use in a trigger/index.
    """CREATE OR REPLACE FUNCTION coopnews_unaccent(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT unaccent('unaccent'::regdictionary, $1) $$""",
    # Two documents: the title alone, and title + summary. Title matches rank
    # first, and a separate indexed title document keeps that test exact in
    # the GIN index (weights would need a recheck of every row).
    """CREATE TABLE items_search (
        item_id integer PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        title_document tsvector NOT NULL,
        document tsvector NOT NULL
    )""",
    "CREATE INDEX ix_items_search_title_document ON items_search USING gin (title_document)",
    "CREATE INDEX ix_items_search_document ON items_search USING gin (document)",
    """CREATE OR REPLACE FUNCTION coopnews_search_document(body text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT to_tsvector('simple', coopnews_unaccent(coalesce(body, ''))) $$""",
    """CREATE OR REPLACE FUNCTION coopnews_items_search_sync() RETURNS trigger
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
        END $$""",
    """CREATE TRIGGER items_search_insert AFTER INSERT ON items
        FOR EACH ROW EXECUTE FUNCTION coopnews_items_search_sync()""",
    """CREATE TRIGGER items_search_update AFTER UPDATE OF title, summary ON items
        FOR EACH ROW EXECUTE FUNCTION coopnews_items_search_sync()""",
    """INSERT INTO items_search(item_id, title_document, document)
        SELECT id, coopnews_search_document(title),
               coopnews_search_document(title || ' ' || coalesce(summary, ''))
        FROM items""",
]

POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS items_search_update ON items",
    "DROP TRIGGER IF EXISTS items_search_insert ON items",
    "DROP FUNCTION IF EXISTS coopnews_items_search_sync()",
    "DROP TABLE IF EXISTS items_search",
    "DROP FUNCTION IF EXISTS coopnews_search_document(text)",
    "DROP FUNCTION IF EXISTS coopnews_unaccent(text)",
]


def upgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_events")),
    )
    op.create_index(op.f("ix_processed_events_created_at"), "processed_events", ["created_at"])
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)
    op.drop_index(op.f("ix_processed_events_created_at"), table_name="processed_events")
    op.drop_table("processed_events")
