"""items.url as TEXT: links of any length are stored whole (storage/limits.py)

Aggregator and tracking links run to thousands of characters; VARCHAR(2000)
made PostgreSQL refuse a whole poll. SQLite does not enforce VARCHAR lengths
(https://www.sqlite.org/datatype3.html, "type affinity": VARCHAR and TEXT are
both TEXT), so there is nothing to change there; rebuilding `items` in batch
mode would instead drop 0006's full-text triggers and, through ON DELETE
CASCADE, empty every table that refers to items (entry keys, item sources).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _alter_url(type_: sa.types.TypeEngine, existing: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # TEXT affinity either way: see the module docstring
    op.alter_column("items", "url", type_=type_, existing_type=existing, existing_nullable=True)


def upgrade() -> None:
    _alter_url(sa.Text(), sa.String(2000))


def downgrade() -> None:
    # Links longer than the old column are dropped from items, the entries kept.
    op.execute("UPDATE items SET url = NULL WHERE length(url) > 2000")
    _alter_url(sa.String(2000), sa.Text())
