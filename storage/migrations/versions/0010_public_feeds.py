"""public feeds: an index on items.updated_at

Items already carry `updated_at` (0001), set when stored and on every change
(the model's onupdate: corrections, retractions). The public feeds answer a
conditional GET from `max(updated_at)` alone; this index makes that one seek.
Only an index: no table rebuild, so 0006's full-text triggers are untouched.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_updated", "items", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_items_updated", table_name="items")
