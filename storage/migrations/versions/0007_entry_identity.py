"""entry identity: keys per source, the sources of each item, link and title-day keys

Adds items.link_key and items.title_key (nullable columns: SQLite adds them
in place, the items table and its full-text triggers of 0006 stay as they
are), the tables entry_keys and item_sources, and carries every stored item
into them: its link and title-day keys are computed, and an item of a
followed source gets that source in item_sources and two keys in its scope,
its link as written and its old fingerprint. A feed polled after the upgrade
finds its entries by those keys or by their canonical link (title and day for
the ILO listing), so it adds and announces nothing again.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from domain import identity
from storage.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_CHUNK = 1000


def upgrade() -> None:
    op.add_column("items", sa.Column("link_key", sa.String(64)))
    op.add_column("items", sa.Column("title_key", sa.String(64)))
    op.create_table(
        "entry_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column(
            "item_id",
            sa.Integer,
            sa.ForeignKey("items.id", ondelete="CASCADE", name="fk_entry_keys_item_id_items"),
            nullable=False,
        ),
        sa.Column("link", sa.String(2000)),
        sa.Column("title", sa.String(500)),
        sa.Column("date", sa.String(100)),
        sa.Column("summary_hash", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_entry_keys"),
        sa.UniqueConstraint("scope", "key_hash", "item_id", name="uq_entry_keys_scope"),
    )
    op.create_index("ix_entry_keys_item_id", "entry_keys", ["item_id"])
    op.create_table(
        "item_sources",
        sa.Column(
            "item_id",
            sa.Integer,
            sa.ForeignKey("items.id", ondelete="CASCADE", name="fk_item_sources_item_id_items"),
            nullable=False,
        ),
        sa.Column(
            "source_id",
            sa.Integer,
            sa.ForeignKey(
                "sources.id", ondelete="CASCADE", name="fk_item_sources_source_id_sources"
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("item_id", "source_id", name="pk_item_sources"),
    )
    op.create_index("ix_item_sources_source_id", "item_sources", ["source_id"])
    _carry_items()
    op.create_index("ix_items_link_key", "items", ["link_key"])
    op.create_index("ix_items_title_key", "items", ["title_key"])


def _carry_items() -> None:
    conn = op.get_bind()
    items = sa.table(
        "items",
        sa.column("id", sa.Integer),
        sa.column("url", sa.String),
        sa.column("title", sa.String),
        sa.column("summary", sa.Text),
        sa.column("published_at", UTCDateTime()),
        sa.column("source_id", sa.Integer),
        sa.column("fingerprint", sa.String),
        sa.column("link_key", sa.String),
        sa.column("title_key", sa.String),
    )
    keys = sa.table(
        "entry_keys",
        sa.column("scope", sa.String),
        sa.column("key_hash", sa.String),
        sa.column("item_id", sa.Integer),
        sa.column("link", sa.String),
        sa.column("title", sa.String),
        sa.column("summary_hash", sa.String),
    )
    sources = sa.table("item_sources", sa.column("item_id"), sa.column("source_id"))
    read = sa.select(
        items.c.id,
        items.c.url,
        items.c.title,
        items.c.summary,
        items.c.published_at,
        items.c.source_id,
        items.c.fingerprint,
    ).order_by(items.c.id)
    last = 0
    while True:
        rows = conn.execute(read.where(items.c.id > last).limit(_CHUNK)).all()
        if not rows:
            return
        last = rows[-1].id
        conn.execute(
            items.update()
            .where(items.c.id == sa.bindparam("item_id"))
            .values(link_key=sa.bindparam("lk"), title_key=sa.bindparam("tk")),
            [
                {
                    "item_id": r.id,
                    "lk": identity.link_key(r.url),
                    "tk": identity.title_key(r.title, r.published_at),
                }
                for r in rows
            ],
        )
        owned = [r for r in rows if r.source_id is not None]
        if not owned:
            continue
        conn.execute(sources.insert(), [{"item_id": r.id, "source_id": r.source_id} for r in owned])
        new_keys = []
        for r in owned:
            common = {
                "scope": identity.source_scope(r.source_id),
                "item_id": r.id,
                "link": r.url,
                "title": r.title,
                "summary_hash": identity.sha256(r.summary or ""),
            }
            new_keys.append({**common, "key_hash": r.fingerprint})
            if r.url:
                new_keys.append({**common, "key_hash": identity.key_hash(r.url.strip())})
        conn.execute(keys.insert(), new_keys)


def downgrade() -> None:
    op.drop_index("ix_item_sources_source_id", table_name="item_sources")
    op.drop_table("item_sources")
    op.drop_index("ix_entry_keys_item_id", table_name="entry_keys")
    op.drop_table("entry_keys")
    op.drop_index("ix_items_title_key", table_name="items")
    op.drop_index("ix_items_link_key", table_name="items")
    if op.get_bind().dialect.name == "sqlite":
        # Native DROP COLUMN (SQLite 3.35+): batch mode would rebuild items and
        # drop the full-text triggers of 0006 with it.
        op.execute("ALTER TABLE items DROP COLUMN title_key")
        op.execute("ALTER TABLE items DROP COLUMN link_key")
    else:
        op.drop_column("items", "title_key")
        op.drop_column("items", "link_key")
