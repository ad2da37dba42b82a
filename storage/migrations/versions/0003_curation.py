"""audit_log: who added, edited or retracted which item, and when;
an index on items.url for the modal's duplicate check

Revision ID: 0003
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("item_id", sa.Integer()),
        sa.Column("item_title", sa.String(500), nullable=False),
        sa.Column("details", sa.Text()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_audit_log_item_id_items"),
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_audit_log_recent", "audit_log", [sa.text("at DESC"), sa.text("id DESC")])
    op.create_index(op.f("ix_audit_log_item_id"), "audit_log", ["item_id"])
    # A plain CREATE INDEX: no batch recreation of items on SQLite. Hash on
    # PostgreSQL: equality is all we need and long URLs fit (btree rows cap at ~2.7 kB).
    op.create_index("ix_items_url", "items", ["url"], postgresql_using="hash")


def downgrade() -> None:
    op.drop_index("ix_items_url", table_name="items")
    op.drop_index(op.f("ix_audit_log_item_id"), table_name="audit_log")
    op.drop_index("ix_audit_log_recent", table_name="audit_log")
    op.drop_table("audit_log")
