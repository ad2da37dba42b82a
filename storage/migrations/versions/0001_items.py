"""items: the news store

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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
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


def downgrade() -> None:
    op.drop_index("ix_items_category_published", table_name="items")
    op.drop_index("ix_items_published", table_name="items")
    op.drop_table("items")
