"""items.url as TEXT: links of any length are stored whole (storage/limits.py)

Aggregator and tracking links run to thousands of characters; VARCHAR(2000)
made PostgreSQL refuse a whole poll. SQLite does not enforce VARCHAR lengths,
but its schema is kept the same as PostgreSQL's: batch mode recreates
`items`, which drops migration 0006's full-text triggers, so they are created
again from 0006's own statements.

Revision ID: 0008
Revises: 0007
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _search_migration():
    """Migration 0006's module (its file name is not an importable name)."""
    path = Path(__file__).with_name("0006_search.py")
    spec = importlib.util.spec_from_file_location("coopnews_migration_0006", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _recreate_sqlite_search_triggers() -> None:
    for statement in _search_migration().SQLITE_UP:
        if statement.lstrip().startswith("CREATE TRIGGER"):
            op.execute(statement)


def _alter_url(type_: sa.types.TypeEngine, existing: sa.types.TypeEngine) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("items") as batch:
        batch.alter_column("url", type_=type_, existing_type=existing, existing_nullable=True)
    if sqlite:
        _recreate_sqlite_search_triggers()


def upgrade() -> None:
    _alter_url(sa.Text(), sa.String(2000))


def downgrade() -> None:
    # Links longer than the old column are dropped from items, the entries kept.
    op.execute("UPDATE items SET url = NULL WHERE length(url) > 2000")
    _alter_url(sa.String(2000), sa.Text())
