"""schedule and feature: scheduled_items (not items until published) and featured

Scheduled items live in their own table: latest, search, feeds, public pages,
category counts, announcements and follows read `items`, so an item waiting
for its time cannot show anywhere by construction. At publish time the worker
stores it through the item form's own path (storage.curation.add_item) and
sets `item_id`.

`featured` holds at most one row (fixed primary key 1): featuring another
item overwrites it in one statement, so "at most one at a time" needs no
transaction-wide lock. Only new tables: no rebuild of `items` (its triggers
and the rows that reference it stay as they are).

Revision ID: 0015
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("category", sa.String(200)),
        sa.Column("summary", sa.Text()),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("publish_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False, server_default="pending"),
        sa.Column(
            "item_id",
            sa.Integer(),
            sa.ForeignKey("items.id", name="fk_scheduled_items_item_id_items", ondelete="SET NULL"),
        ),
        sa.Column("finished_by", sa.String(40)),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("last_error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_scheduled_items"),
    )
    op.create_index("ix_scheduled_items_due", "scheduled_items", ["state", "publish_at"])
    op.create_table(
        "featured",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "item_id",
            sa.Integer(),
            sa.ForeignKey("items.id", name="fk_featured_item_id_items", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("featured_until", UTCDateTime(), nullable=False),
        sa.Column("featured_by", sa.String(40), nullable=False),
        sa.Column("featured_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_featured"),
        sa.CheckConstraint("id = 1", name="ck_featured_one_row"),
    )


def downgrade() -> None:
    op.drop_table("featured")
    op.drop_index("ix_scheduled_items_due", table_name="scheduled_items")
    op.drop_table("scheduled_items")
