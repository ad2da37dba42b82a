"""category keys Unicode-normalised: one category however its name is encoded

Until now a category's key was its name trimmed and case-folded, so "Énergie"
precomposed and "E" + U+0301 (a macOS-written feed), or "Social economy" with a
no-break space or two spaces, were two categories. storage.categories.category_key
is now Unicode's compatibility caseless match (NFKC, case-folded, invisible
characters dropped, whitespace one space); this migration re-keys what is stored:

- items: `category` spelled NFC with spaces folded (category_spelling), and
  `category_key` computed again; one UPDATE per distinct (spelling, key) pair
  that changes, so a large store of plain names costs one SELECT DISTINCT.
- category_counts: the deltas the UPDATEs' triggers append would keep the old
  keys' rows beside the new ones; the table is counted again from items, as
  0011 first filled it (one row per key and spelling).
- follows: keys computed again. Two follows of one person with the same
  keywords whose keys become one (e.g. "énergie" twice) are merged, not
  refused: the oldest row stays (its number in `follows`, and the smaller
  after_item_id of the two, so nothing either would have sent is lost); the
  others' delivery records point at it, then they are deleted. follows has no
  unique constraint, but storage.follows treats the same rule twice as one.
- subscriptions.categories (names as typed, one per line): written again by
  encode_choice, so names that now share a key are one.

- sources, suggestions and scheduled_items hold spellings only (an item written
  from them is spelled and keyed where it is stored): spelled NFC, spaces folded.

Keys are computed in Python (unicodedata): no SQL function normalises Unicode on
SQLite. Plain UPDATE/DELETE/INSERT only: no table is rebuilt. Downgrade computes
items' and follows' keys by the old rule (trimmed, case-folded) from the names
as they now stay (NFC) and counts again; merged follows stay merged.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from domain.text import fit
from storage import limits
from storage.categories import category_key, category_spelling, decode_choice, encode_choice

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BATCH = 500


def _old_key(category: str | None) -> str | None:
    return category.strip().casefold() if category and category.strip() else None


def upgrade() -> None:
    connection = op.get_bind()
    _rekey_items(connection, category_key, _new_spelling)
    _recount(connection)
    _rekey_follows(connection, category_key)
    _rechoose_subscriptions(connection)
    for table in ("sources", "suggestions", "scheduled_items"):
        _respell(connection, table)


def downgrade() -> None:
    connection = op.get_bind()
    _rekey_items(connection, _old_key, lambda category: category)
    _recount(connection)
    _rekey_follows(connection, _old_key)


def _new_spelling(category: str | None) -> str | None:
    # As storage.store.item_row stores it.
    return fit(category_spelling(category), limits.CATEGORY)


def _rekey_items(
    connection: sa.Connection,
    key_of: Callable[[str | None], str | None],
    spelling_of: Callable[[str | None], str | None],
) -> None:
    pairs = connection.execute(sa.text("SELECT DISTINCT category, category_key FROM items")).all()
    changes = []
    for category, key in pairs:
        spelling = spelling_of(category)
        new_key = key_of(spelling)
        if (spelling, new_key) != (category, key):
            changes.append(
                {"category": category, "key": key, "spelling": spelling, "new_key": new_key}
            )
    # NULLs need IS NULL (never `= NULL`); each kind of pair has its own statement.
    for category_null in (False, True):
        for key_null in (False, True):
            where = [
                "category IS NULL" if category_null else "category = :category",
                "category_key IS NULL" if key_null else "category_key = :key",
            ]
            statement = sa.text(
                "UPDATE items SET category = :spelling, category_key = :new_key"
                f" WHERE {' AND '.join(where)}"
            )
            rows = [
                c
                for c in changes
                if (c["category"] is None) == category_null and (c["key"] is None) == key_null
            ]
            for start in range(0, len(rows), BATCH):
                connection.execute(statement, rows[start : start + BATCH])


def _recount(connection: sa.Connection) -> None:
    """category_counts from items (what migration 0011 first wrote): exact, whatever
    the deltas the re-keying's triggers appended."""
    connection.execute(sa.text("DELETE FROM category_counts"))
    connection.execute(
        sa.text(
            """INSERT INTO category_counts (category_key, category, delta)
            SELECT coalesce(category_key, ''), coalesce(category, ''), count(*) FROM items
            WHERE retracted_at IS NULL
            GROUP BY coalesce(category_key, ''), coalesce(category, '')"""
        )
    )


def _rekey_follows(connection: sa.Connection, key_of: Callable[[str | None], str | None]) -> None:
    rows = connection.execute(
        sa.text(
            "SELECT id, user_id, keywords, category_key, after_item_id FROM follows ORDER BY id"
        )
    ).all()
    kept: dict[tuple, dict] = {}  # (user, keywords, new key) -> the oldest row's update
    merged: list[dict] = []
    for follow_id, user_id, keywords, key, after in rows:
        new_key = key_of(key)
        same = (user_id, keywords, new_key)
        if same in kept:
            survivor = kept[same]
            survivor["after"] = min(survivor["after"], after)
            survivor["changed"] = True
            merged.append({"gone": follow_id, "kept": survivor["id"]})
            continue
        kept[same] = {"id": follow_id, "key": new_key, "after": after, "changed": new_key != key}
    updates = [row for row in kept.values() if row["changed"]]
    for start in range(0, len(updates), BATCH):
        connection.execute(
            sa.text(
                "UPDATE follows SET category_key = :key, after_item_id = :after WHERE id = :id"
            ),
            [
                {"id": u["id"], "key": u["key"], "after": u["after"]}
                for u in updates[start : start + BATCH]
            ],
        )
    for start in range(0, len(merged), BATCH):
        batch = merged[start : start + BATCH]
        connection.execute(
            sa.text("UPDATE follow_deliveries SET follow_id = :kept WHERE follow_id = :gone"), batch
        )
        connection.execute(
            sa.text("DELETE FROM follows WHERE id = :gone"), [{"gone": m["gone"]} for m in batch]
        )


def _rechoose_subscriptions(connection: sa.Connection) -> None:
    rows = connection.execute(
        sa.text("SELECT id, categories FROM subscriptions WHERE categories IS NOT NULL")
    ).all()
    updates = []
    for subscription_id, stored in rows:
        chosen = encode_choice(decode_choice(stored))
        if chosen != stored:
            updates.append({"id": subscription_id, "categories": chosen})
    for start in range(0, len(updates), BATCH):
        connection.execute(
            sa.text("UPDATE subscriptions SET categories = :categories WHERE id = :id"),
            updates[start : start + BATCH],
        )


def _respell(connection: sa.Connection, table: str) -> None:
    rows = connection.execute(
        sa.text(f"SELECT id, category FROM {table} WHERE category IS NOT NULL")
    ).all()
    updates = [
        {"id": row_id, "category": _new_spelling(category)}
        for row_id, category in rows
        if _new_spelling(category) != category
    ]
    for start in range(0, len(updates), BATCH):
        connection.execute(
            sa.text(f"UPDATE {table} SET category = :category WHERE id = :id"),
            updates[start : start + BATCH],
        )
