"""announcements: when a scheduled digest is next due

Revision ID: 0004
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        # Daily/weekly digests: the next moment (UTC) the channel's digest is due.
        batch.add_column(sa.Column("next_digest_at", UTCDateTime()))
    # Claims look up a channel's claimable rows: (channel, state) first.
    op.create_index("ix_deliveries_channel_state", "deliveries", ["channel_id", "state", "id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_channel_state", table_name="deliveries")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("next_digest_at")
