"""items, sources, subscriptions and deliveries

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("feed_url", sa.String(2000)),
        sa.Column("kind", sa.String(20)),
        sa.Column("title", sa.String(500)),
        sa.Column("category", sa.String(200)),
        sa.Column("created_by", sa.String(40)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("paused_at", UTCDateTime()),
        sa.Column("etag", sa.String(500)),
        sa.Column("last_modified", sa.String(100)),
        sa.Column("last_polled_at", UTCDateTime()),
        sa.Column("last_success_at", UTCDateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("url", name=op.f("uq_sources_url")),
    )
    op.create_index(op.f("ix_sources_next_poll_at"), "sources", ["next_poll_at"])
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("url", sa.String(2000)),
        sa.Column("category", sa.String(200)),
        sa.Column("category_key", sa.String(200)),
        sa.Column("summary", sa.Text()),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("origin", sa.String(40), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("retracted_at", UTCDateTime()),
        sa.Column("announce", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("source_id", sa.Integer()),
        sa.Column("created_by", sa.String(40)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_items_source_id_sources"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_items_fingerprint")),
    )
    op.create_index(
        "ix_items_published", "items", [sa.text("published_at DESC"), sa.text("id DESC")]
    )
    op.create_index(
        "ix_items_category_published",
        "items",
        ["category_key", sa.text("published_at DESC"), sa.text("id DESC")],
    )
    op.create_index(op.f("ix_items_source_id"), "items", ["source_id"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(40), nullable=False),
        sa.Column("categories", sa.Text()),
        sa.Column("created_by", sa.String(40)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("after_item_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("schedule", sa.String(40)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("paused_at", UTCDateTime()),
        sa.Column("problem", sa.Text()),
        sa.Column("last_posted_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_subscriptions_channel_id")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("claim_token", sa.String(64)),
        sa.Column("claimed_until", UTCDateTime()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("message_ts", sa.String(40)),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("posted_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_deliveries_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("item_id", "channel_id", name=op.f("uq_deliveries_item_id")),
    )
    op.create_index("ix_deliveries_state_channel", "deliveries", ["state", "channel_id"])
    op.create_index("ix_deliveries_channel_ts", "deliveries", ["channel_id", "message_ts"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("subscriptions")
    op.drop_index(op.f("ix_items_source_id"), table_name="items")
    op.drop_index("ix_items_category_published", table_name="items")
    op.drop_index("ix_items_published", table_name="items")
    op.drop_table("items")
    op.drop_index(op.f("ix_sources_next_poll_at"), table_name="sources")
    op.drop_table("sources")
