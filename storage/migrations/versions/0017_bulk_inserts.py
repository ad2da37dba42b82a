"""bulk inserts: the search and category insert triggers step aside for storage/bulk.py

PostgreSQL only. An import of many items sets `coopnews.bulk` to 'on' for its
INSERT (transaction-local: other connections never see it) and writes the
search rows and category deltas of the inserted ids in one statement each
(storage/bulk.py). The two AFTER INSERT triggers gain a WHEN clause reading
that setting; everything else fires as before, and so do they whenever the
setting is unset (every other writer). No data changes: existing stores keep
their index and counts as they are. SQLite keeps its triggers (a no-op here).

Revision ID: 0017
Revises: 0011
"""

from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None

NOT_BULK = "coalesce(current_setting('coopnews.bulk', true), '') <> 'on'"


def _triggers(search_when: str, category_when: str) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS items_search_insert ON items",
        f"""CREATE TRIGGER items_search_insert AFTER INSERT ON items
            FOR EACH ROW {search_when} EXECUTE FUNCTION coopnews_items_search_sync()""",
        "DROP TRIGGER IF EXISTS items_category_insert ON items",
        f"""CREATE TRIGGER items_category_insert AFTER INSERT ON items
            FOR EACH ROW WHEN ({category_when})
            EXECUTE FUNCTION coopnews_items_category_count()""",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _triggers(f"WHEN ({NOT_BULK})", f"new.retracted_at IS NULL AND {NOT_BULK}"):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _triggers("", "new.retracted_at IS NULL"):
        op.execute(statement)
