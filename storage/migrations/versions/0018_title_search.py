"""title search index: an FTS5 table of titles alone (SQLite)

Search ranks items whose title matches first (storage/search.py). On SQLite
that group was read from items_fts with a column filter (`title : ...`), and
FTS5 can only apply a column filter by walking the whole posting list of
each word, title or summary alike: a rare combination of common words read
every occurrence in the archive (46 ms for "women coffee Kenya" at 1,000,000
items, 8 ms from a title-only table). items_title_fts holds the titles only,
with the same recency key as rowid (migration 0006), so its posting lists are
the title occurrences and a page still stops after `take` rows. Same
tokenizer, same visible-only rule, kept by the same kind of triggers.

PostgreSQL already has a title document (items_search.title_document): no-op.

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# The recency key of migration 0006: published_at in whole seconds * 2**30 + id.
KEY_NEW = "(CAST(strftime('%s', new.published_at) AS INTEGER) * 1073741824 + new.id)"
KEY_OLD = "(CAST(strftime('%s', old.published_at) AS INTEGER) * 1073741824 + old.id)"
ADD_NEW = f"""INSERT INTO items_title_fts(rowid, title)
        SELECT {KEY_NEW}, new.title WHERE new.retracted_at IS NULL;"""
# Contentless FTS5 forgets a row when given the exact values it indexed.
REMOVE_OLD = f"""INSERT INTO items_title_fts(items_title_fts, rowid, title)
        SELECT 'delete', {KEY_OLD}, old.title WHERE old.retracted_at IS NULL;"""

SQLITE_UP = [
    """CREATE VIRTUAL TABLE items_title_fts USING fts5(
        title,
        content='',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    f"CREATE TRIGGER items_title_fts_insert AFTER INSERT ON items BEGIN {ADD_NEW} END",
    f"CREATE TRIGGER items_title_fts_delete AFTER DELETE ON items BEGIN {REMOVE_OLD} END",
    # A summary edit leaves the title index as it is.
    f"""CREATE TRIGGER items_title_fts_update
        AFTER UPDATE OF title, published_at, retracted_at ON items
        BEGIN {REMOVE_OLD} {ADD_NEW} END""",
    # Items stored before this migration (about 90 s for 1,000,000 items).
    """INSERT INTO items_title_fts(rowid, title)
        SELECT CAST(strftime('%s', published_at) AS INTEGER) * 1073741824 + id, title
        FROM items WHERE retracted_at IS NULL""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS items_title_fts_update",
    "DROP TRIGGER IF EXISTS items_title_fts_delete",
    "DROP TRIGGER IF EXISTS items_title_fts_insert",
    "DROP TABLE IF EXISTS items_title_fts",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in SQLITE_DOWN:
        op.execute(statement)
