"""reliability: durable corrections, source history, Retry-After and permanent redirects

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns (and one with a server default): SQLite adds them in place.
    with op.batch_alter_table("sources") as batch:
        # A 429/503 Retry-After: no request to the feed before this moment (UTC).
        batch.add_column(sa.Column("retry_after_until", UTCDateTime()))
        # The last permanent redirect target seen (301/308 on every hop) and on how
        # many consecutive polls: at 3 the feed's address is updated.
        batch.add_column(sa.Column("redirect_url", sa.String(2000)))
        batch.add_column(
            sa.Column("redirect_count", sa.Integer(), nullable=False, server_default="0")
        )
    # What happened to a source besides its state: skipped entries, moved
    # addresses, failures. Newest first for the lists.
    op.create_table(
        "source_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "source_id",
            sa.Integer(),
            sa.ForeignKey("sources.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),  # info, warning, error
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_source_events_recent", "source_events", ["source_id", "at", "id"])
    # One row per posted message that must show a corrected or retracted item:
    # a durable delivery of the chat.update, retried by the worker.
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.String(40), nullable=False),
        sa.Column("message_ts", sa.String(40), nullable=False),
        # The item whose change asked for it (the last one, if several did).
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id", ondelete="CASCADE")),
        # Who to tell if it cannot be applied (the admin who edited; None for feeds).
        sa.Column("requested_by", sa.String(40)),
        sa.Column("state", sa.String(20), nullable=False),  # pending, done, failed
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("planned_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claim_token", sa.String(64)),
        sa.Column("claimed_until", UTCDateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Column("done_at", UTCDateTime()),
        # SHA-256 of the message last applied: the same content is never sent twice.
        sa.Column("applied_hash", sa.String(64)),
        sa.UniqueConstraint("channel_id", "message_ts", name="uq_corrections_message"),
    )
    op.create_index("ix_corrections_due", "corrections", ["state", "next_attempt_at"])
    op.create_index("ix_corrections_item", "corrections", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_corrections_item", table_name="corrections")
    op.drop_index("ix_corrections_due", table_name="corrections")
    op.drop_table("corrections")
    op.drop_index("ix_source_events_recent", table_name="source_events")
    op.drop_table("source_events")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column in ("redirect_count", "redirect_url", "retry_after_until"):
        if sqlite:
            # Native DROP COLUMN (SQLite 3.35+): batch mode would rebuild `sources`, and
            # dropping the old table cascades to every row that refers to a source.
            op.execute(f"ALTER TABLE sources DROP COLUMN {column}")
        else:
            op.drop_column("sources", column)
