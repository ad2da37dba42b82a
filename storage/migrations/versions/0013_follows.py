"""follows: personal follows of keywords, and their direct messages

Revision ID: 0013
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New tables only: nothing existing is rebuilt.
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.String(40), nullable=False),
        # The rule as shown back (domain.words.Keywords.text), parsed again when matched.
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("category_key", sa.String(200)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        # Items with a larger id are new to this follow.
        sa.Column("after_item_id", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_follows_user", "follows", ["user_id", "id"])
    # One row per person who follows: the time zone (users.info tz, cached), their
    # DM channel once known, and the row a pass locks while it counts the daily cap.
    op.create_table(
        "follow_people",
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("timezone", sa.String(64)),
        sa.Column("timezone_checked_at", UTCDateTime()),
        sa.Column("dm_channel", sa.String(40)),
        sa.Column("locked_at", UTCDateTime()),
    )
    # Items scanned against every follow (each new item is matched once).
    op.create_table(
        "follow_scans",
        sa.Column(
            "item_id",
            sa.Integer(),
            sa.ForeignKey("items.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("scanned_at", UTCDateTime(), nullable=False),
    )
    # One row per (item, person): what makes a follow's DM exactly-once.
    op.create_table(
        "follow_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "item_id", sa.Integer(), sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("follow_id", sa.Integer(), sa.ForeignKey("follows.id", ondelete="SET NULL")),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("claim_token", sa.String(64)),
        sa.Column("claimed_until", UTCDateTime()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text()),
        sa.Column("channel_id", sa.String(40)),
        sa.Column("message_ts", sa.String(40)),
        sa.Column("digest", sa.Boolean(), nullable=False, server_default=sa.false()),
        # The person's local day (YYYY-MM-DD) this DM counted against; None for digests.
        sa.Column("day", sa.String(10)),
        # Over the daily cap: held for the morning digest due at this moment (UTC).
        sa.Column("hold_until", UTCDateTime()),
        sa.Column("posted_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("item_id", "user_id", name="uq_follow_deliveries_item_id"),
    )
    op.create_index("ix_follow_deliveries_user_state", "follow_deliveries", ["user_id", "state"])
    op.create_index(
        "ix_follow_deliveries_channel_ts", "follow_deliveries", ["channel_id", "message_ts"]
    )
    op.create_index("ix_follow_deliveries_state", "follow_deliveries", ["state", "user_id"])


def downgrade() -> None:
    op.drop_table("follow_deliveries")
    op.drop_table("follow_scans")
    op.drop_table("follow_people")
    op.drop_index("ix_follows_user", "follows")
    op.drop_table("follows")
