"""channel rules: keywords, sources, format, previews, mention, daily thread

Subscriptions gain their rules as plain columns (added, never a table
rebuild): `matching`/`excluding` hold a keyword rule as domain/words.py shows
it (`Keywords.text`, re-parsed when read), `source_ids` the chosen source IDs
(comma-separated), `format` full|compact|headline, `previews` (link unfurls),
`mention` ("here" or "subteam:ID:handle"), `last_mention_at` (the hourly
mention slot, claimed by a conditional UPDATE) and `thread` ("daily" or
NULL). A delivery judged against a channel's rules and not wanted is a row
in state `filtered` (no schema change: state is a string), so each item is
judged once per channel. `deliveries.thread_ts` tells which daily thread a
reply went to; `daily_threads` holds one parent message per (channel, day),
claimed like a delivery so it is posted exactly once.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("matching", sa.Text(), nullable=True))
    op.add_column("subscriptions", sa.Column("excluding", sa.Text(), nullable=True))
    op.add_column("subscriptions", sa.Column("source_ids", sa.Text(), nullable=True))
    op.add_column(
        "subscriptions",
        sa.Column("format", sa.String(20), nullable=False, server_default="full"),
    )
    op.add_column(
        "subscriptions",
        sa.Column("previews", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("subscriptions", sa.Column("mention", sa.String(120), nullable=True))
    op.add_column("subscriptions", sa.Column("last_mention_at", UTCDateTime(), nullable=True))
    op.add_column("subscriptions", sa.Column("thread", sa.String(20), nullable=True))
    op.add_column("deliveries", sa.Column("thread_ts", sa.String(40), nullable=True))
    op.create_table(
        "daily_threads",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.String(40), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("parent_ts", sa.String(40), nullable=True),
        sa.Column("claim_token", sa.String(64), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_threads")),
        sa.UniqueConstraint("channel_id", "day", name="uq_daily_threads_channel_day"),
    )


def downgrade() -> None:
    op.drop_table("daily_threads")
    for column in (
        "thread",
        "last_mention_at",
        "mention",
        "previews",
        "format",
        "source_ids",
        "excluding",
        "matching",
    ):
        op.drop_column("subscriptions", column)
    op.drop_column("deliveries", "thread_ts")
