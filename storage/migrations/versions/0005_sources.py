"""sources: first fetch, failure notice and body hash bookkeeping

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns only: SQLite adds them in place, no table rebuild.
    with op.batch_alter_table("sources") as batch:
        # Set by the first fetch that stored entries: before it, a poll is backfill.
        batch.add_column(sa.Column("first_fetched_at", UTCDateTime()))
        # Set when the admin was told about repeated failures; cleared by a success.
        batch.add_column(sa.Column("failure_notified_at", UTCDateTime()))
        # SHA-256 of the last body read: an unchanged 200 is not parsed again.
        batch.add_column(sa.Column("body_hash", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("body_hash")
        batch.drop_column("failure_notified_at")
        batch.drop_column("first_fetched_at")
