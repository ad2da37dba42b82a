"""category counts kept as items change

`category_counts` holds signed deltas per (category key, spelling): a trigger
on items adds +1 when an item becomes visible in a category and -1 when it
leaves it (retracted, re-categorised, deleted). A category's count is the sum
of its deltas, so `/coopnews categories`, App Home, the curation modal and
`subscribe` read a table the size of the category list, never every item.
Appending (never updating one row per category) keeps concurrent writers
from queueing or deadlocking on a shared counter; storage/categories.py folds
the deltas into one row per spelling from time to time. The key '' stands for
"no category". Only a new table and triggers: items is not rebuilt, so 0006's
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

SQLITE_UP = [
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
    "DROP TRIGGER IF EXISTS items_category_update",
    "DROP TRIGGER IF EXISTS items_category_delete",
    "DROP TRIGGER IF EXISTS items_category_insert",
]

POSTGRES_UP = [
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
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRES_UP:
        op.execute(statement)
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
    op.drop_table("category_counts")
