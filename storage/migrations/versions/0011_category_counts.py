"""category and source item counts kept as items change

`category_counts` holds signed deltas per (category key, spelling): a trigger
on items adds +1 when an item becomes visible in a category and -1 when it
leaves it (retracted, re-categorised, deleted). A category's count is the sum
of its deltas, so `/coopnews categories`, App Home, the curation modal and
`subscribe` read a table the size of the category list, never every item.
Appending (never updating one row per category) keeps concurrent writers
from queueing or deadlocking on a shared counter; storage/categories.py folds
the deltas into one row per spelling from time to time. The key '' stands for
"no category". `source_item_counts` does the same for each source's visible
items (item_sources joined with items), for `/coopnews sources` and App Home.
Only new tables and triggers: items is not rebuilt, so 0006's
full-text triggers are untouched.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

DELTA = "INSERT INTO category_counts (category_key, category, delta)"
NEW = "coalesce(new.category_key, ''), coalesce(new.category, '')"
OLD = "coalesce(old.category_key, ''), coalesce(old.category, '')"
# A change that moves an item in or out of a category (or changes its spelling).
MOVED = """(old.category IS NOT new.category OR old.category_key IS NOT new.category_key
        OR (old.retracted_at IS NULL) <> (new.retracted_at IS NULL))"""
PG_MOVED = MOVED.replace(" IS NOT ", " IS DISTINCT FROM ")

SOURCE_DELTA = "INSERT INTO source_item_counts (source_id, delta)"
# Visibility flips: every source of the item gains or loses it.
FLIP = "(old.retracted_at IS NULL) <> (new.retracted_at IS NULL)"
FLIP_SOURCES = f"""{SOURCE_DELTA} SELECT source_id, CASE WHEN new.retracted_at IS NULL THEN 1 ELSE -1 END
        FROM item_sources WHERE item_id = new.id"""
# An item deleted: counted off before the cascade removes its item_sources rows
# (whose own trigger then finds no visible item and writes nothing).
GONE_SOURCES = f"{SOURCE_DELTA} SELECT source_id, -1 FROM item_sources WHERE item_id = old.id"
LINKED = f"""{SOURCE_DELTA} SELECT new.source_id, 1 FROM items
        WHERE id = new.item_id AND retracted_at IS NULL"""
UNLINKED = f"""{SOURCE_DELTA} SELECT old.source_id, -1 FROM items
        WHERE id = old.item_id AND retracted_at IS NULL"""

SQLITE_UP = [
    f"""CREATE TRIGGER items_sources_flip AFTER UPDATE OF retracted_at ON items WHEN {FLIP}
        BEGIN {FLIP_SOURCES}; END""",
    f"""CREATE TRIGGER items_sources_gone BEFORE DELETE ON items WHEN old.retracted_at IS NULL
        BEGIN {GONE_SOURCES}; END""",
    f"CREATE TRIGGER item_sources_count_insert AFTER INSERT ON item_sources BEGIN {LINKED}; END",
    f"CREATE TRIGGER item_sources_count_delete AFTER DELETE ON item_sources BEGIN {UNLINKED}; END",
    f"""CREATE TRIGGER items_category_insert AFTER INSERT ON items
        WHEN new.retracted_at IS NULL
        BEGIN {DELTA} VALUES ({NEW}, 1); END""",
    f"""CREATE TRIGGER items_category_delete AFTER DELETE ON items
        WHEN old.retracted_at IS NULL
        BEGIN {DELTA} VALUES ({OLD}, -1); END""",
    f"""CREATE TRIGGER items_category_update
        AFTER UPDATE OF category, category_key, retracted_at ON items WHEN {MOVED}
        BEGIN
            {DELTA} SELECT {OLD}, -1 WHERE old.retracted_at IS NULL;
            {DELTA} SELECT {NEW}, 1 WHERE new.retracted_at IS NULL;
        END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS item_sources_count_delete",
    "DROP TRIGGER IF EXISTS item_sources_count_insert",
    "DROP TRIGGER IF EXISTS items_sources_gone",
    "DROP TRIGGER IF EXISTS items_sources_flip",
    "DROP TRIGGER IF EXISTS items_category_update",
    "DROP TRIGGER IF EXISTS items_category_delete",
    "DROP TRIGGER IF EXISTS items_category_insert",
]

POSTGRES_UP = [
    f"""CREATE FUNCTION coopnews_items_sources_count() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                {GONE_SOURCES};
                RETURN old;
            END IF;
            {FLIP_SOURCES};
            RETURN NULL;
        END $$""",
    f"""CREATE TRIGGER items_sources_flip AFTER UPDATE OF retracted_at ON items
        FOR EACH ROW WHEN ({FLIP}) EXECUTE FUNCTION coopnews_items_sources_count()""",
    """CREATE TRIGGER items_sources_gone BEFORE DELETE ON items
        FOR EACH ROW WHEN (old.retracted_at IS NULL)
        EXECUTE FUNCTION coopnews_items_sources_count()""",
    f"""CREATE FUNCTION coopnews_item_sources_count() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {LINKED};
            ELSE
                {UNLINKED};
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER item_sources_count_insert AFTER INSERT ON item_sources
        FOR EACH ROW EXECUTE FUNCTION coopnews_item_sources_count()""",
    """CREATE TRIGGER item_sources_count_delete AFTER DELETE ON item_sources
        FOR EACH ROW EXECUTE FUNCTION coopnews_item_sources_count()""",
    f"""CREATE FUNCTION coopnews_items_category_count() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND old.retracted_at IS NULL THEN
                {DELTA} VALUES ({OLD}, -1);
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') AND new.retracted_at IS NULL THEN
                {DELTA} VALUES ({NEW}, 1);
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER items_category_insert AFTER INSERT ON items
        FOR EACH ROW WHEN (new.retracted_at IS NULL)
        EXECUTE FUNCTION coopnews_items_category_count()""",
    """CREATE TRIGGER items_category_delete AFTER DELETE ON items
        FOR EACH ROW WHEN (old.retracted_at IS NULL)
        EXECUTE FUNCTION coopnews_items_category_count()""",
    f"""CREATE TRIGGER items_category_update
        AFTER UPDATE OF category, category_key, retracted_at ON items
        FOR EACH ROW WHEN {PG_MOVED}
        EXECUTE FUNCTION coopnews_items_category_count()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS item_sources_count_delete ON item_sources",
    "DROP TRIGGER IF EXISTS item_sources_count_insert ON item_sources",
    "DROP TRIGGER IF EXISTS items_sources_gone ON items",
    "DROP TRIGGER IF EXISTS items_sources_flip ON items",
    "DROP FUNCTION IF EXISTS coopnews_item_sources_count()",
    "DROP FUNCTION IF EXISTS coopnews_items_sources_count()",
    "DROP TRIGGER IF EXISTS items_category_update ON items",
    "DROP TRIGGER IF EXISTS items_category_delete ON items",
    "DROP TRIGGER IF EXISTS items_category_insert ON items",
    "DROP FUNCTION IF EXISTS coopnews_items_category_count()",
]


def upgrade() -> None:
    op.create_table(
        "category_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_key", sa.String(200), nullable=False),
        sa.Column("category", sa.String(200), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_counts")),
    )
    op.create_table(
        "source_item_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_item_counts")),
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRES_UP:
        op.execute(statement)
    op.execute(
        f"""{SOURCE_DELTA} SELECT s.source_id, count(*) FROM item_sources s
        JOIN items i ON i.id = s.item_id WHERE i.retracted_at IS NULL GROUP BY s.source_id"""
    )
    # Items stored before this migration: one row per spelling.
    op.execute(
        f"""{DELTA}
        SELECT coalesce(category_key, ''), coalesce(category, ''), count(*) FROM items
        WHERE retracted_at IS NULL GROUP BY coalesce(category_key, ''), coalesce(category, '')"""
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)
    op.drop_table("source_item_counts")
    op.drop_table("category_counts")
