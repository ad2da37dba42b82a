"""suggestions: members' suggested items, their review messages, review channels

New tables only (no table is rebuilt). A suggestion is never a row of items, so
latest, search, announcements and the public feeds cannot see it.

Revision ID: 0014
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("suggested_by", sa.String(40), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("summary", sa.Text()),
        sa.Column("category", sa.String(200)),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("site_name", sa.String(200)),
        # pending, approved, rejected
        sa.Column("state", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("decided_by", sa.String(40)),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("reason", sa.Text()),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id", ondelete="SET NULL")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_suggestions_state", "suggestions", ["state", "created_at", "id"])
    op.create_index("ix_suggestions_member", "suggestions", ["suggested_by", "state"])
    # Where each suggestion was posted for review (chat.update when decided), or why not.
    op.create_table(
        "suggestion_posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "suggestion_id",
            sa.Integer(),
            sa.ForeignKey("suggestions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel_id", sa.String(40), nullable=False),
        sa.Column("message_ts", sa.String(40)),
        sa.Column("error", sa.Text()),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_suggestion_posts_suggestion_id", "suggestion_posts", ["suggestion_id"])
    op.create_table(
        "review_channels",
        sa.Column("channel_id", sa.String(40), primary_key=True),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("review_channels")
    op.drop_index("ix_suggestion_posts_suggestion_id", table_name="suggestion_posts")
    op.drop_table("suggestion_posts")
    op.drop_index("ix_suggestions_member", table_name="suggestions")
    op.drop_index("ix_suggestions_state", table_name="suggestions")
    op.drop_table("suggestions")
