"""Migration 0020 (category keys Unicode-normalised): a store at 0019 holding one
category under several encodings (NFC, NFD, a no-break space, two spaces) in items,
count rows, follows and subscriptions ends with one key per category, exact counts,
merged follows, and goes down and up again. SQLite and, with TEST_DATABASE_URL,
PostgreSQL; empty and filled."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from storage import categories
from storage.db import Database, alembic_config, upgrade
from tests.test_category_counts import assert_counts_right

NFC = unicodedata.normalize("NFC", "Énergie")
NFD = unicodedata.normalize("NFD", "Énergie")
DAY = datetime(2026, 11, 20, tzinfo=UTC)


def old_key(category: str | None) -> str | None:
    """The key as 0019's code wrote it."""
    return category.strip().casefold() if category and category.strip() else None


def fill_at_0019(db: Database) -> dict[str, int]:
    """Items, follows, a follow's delivery and subscriptions as code before 0020 wrote
    them (its keys); the count rows from 0011's triggers, partly folded."""
    ids: dict[str, int] = {}
    items = [
        ("nfc", NFC, None),
        ("nfc retracted", NFC, DAY),
        ("nfd", NFD, None),
        ("nfd upper", unicodedata.normalize("NFD", "ÉNERGIE"), None),
        ("nbsp", "Social\u00a0economy", None),
        ("two spaces", "Social  economy", None),
        ("plain", "Social economy", None),
        ("news", "News", None),
        ("none", None, None),
    ]
    with db.transaction() as session:
        for n, (title, category, retracted) in enumerate(items):
            ids[title] = session.scalar(
                text(
                    "INSERT INTO items (title, category, category_key, published_at, origin,"
                    " fingerprint, created_at, updated_at, announce, retracted_at)"
                    " VALUES (:t, :c, :k, :p, 'feed', :f, :p, :p, :a, :r) RETURNING id"
                ),
                {"t": title, "c": category, "k": old_key(category), "p": DAY,
                 "f": f"f{n}", "a": True, "r": retracted},
            )  # fmt: skip
    with db.transaction() as session:
        categories.fold(session, force=True)  # folded rows and fresh deltas, both
        session.execute(
            text("UPDATE items SET title = 'nfd again' WHERE id = :id"), {"id": ids["nfd"]}
        )
    follows = [
        ("U1", "cooperative", old_key(NFC), 7),
        ("U1", "cooperative", old_key(NFD), 3),  # the same rule once re-keyed: merged
        ("U1", "housing", old_key(NFD), 5),
        ("U2", "cooperative", old_key(NFD), 4),
        ("U2", "cooperative", None, 4),
    ]
    with db.transaction() as session:
        for n, (user, words, key, after) in enumerate(follows, 1):
            session.execute(
                text(
                    "INSERT INTO follows (id, user_id, keywords, category_key, created_at,"
                    " after_item_id) VALUES (:id, :u, :w, :k, :c, :a)"
                ),
                {"id": n, "u": user, "w": words, "k": key, "c": DAY, "a": after},
            )
        session.execute(
            text(
                "INSERT INTO follow_deliveries (item_id, user_id, follow_id, state, attempts,"
                " digest, created_at) VALUES (:i, 'U1', 2, 'posted', 1, :d, :c)"
            ),
            {"i": ids["nfd"], "d": False, "c": DAY},
        )
        for channel, chosen in (
            ("CBOTH", f"{NFD}\n{NFC}"),  # two names 0019 told apart
            ("CKEYS", "news\nsocial\u00a0economy"),  # an older row: keys
            ("CALL", None),
        ):
            session.execute(
                text(
                    "INSERT INTO subscriptions (channel_id, categories, created_at,"
                    " after_item_id, mode, format, previews)"
                    " VALUES (:ch, :cat, :c, 0, 'instant', 'full', :p)"
                ),
                {"ch": channel, "cat": chosen, "c": DAY, "p": False},
            )
        session.execute(
            text(
                "INSERT INTO sources (url, category, created_at, interval_seconds, failures)"
                " VALUES ('https://forms.example.coop/feed', :cat, :c, 1800, 0)"
            ),
            {"cat": f" {NFD}\u00a0 ", "c": DAY},
        )
    return ids


def rows(db: Database, sql: str) -> list[tuple]:
    with db.reading() as session:
        return [tuple(r) for r in session.execute(text(sql)).all()]


def test_0020_makes_one_category_of_every_encoding_with_exact_counts(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0019")
    db = Database(empty_database_url)
    try:
        fill_at_0019(db)
        with db.reading() as session:  # 0019: two Énergie rows, two Social economy rows
            assert len(categories.category_list(session).counted) == 6

        upgrade(empty_database_url)  # to head, through 0020
        assert sorted(rows(db, "SELECT DISTINCT category, category_key FROM items"),
                      key=str) == sorted([
            (NFC, "énergie"), ("ÉNERGIE", "énergie"), ("Social economy", "social economy"),
            ("News", "news"), (None, None)], key=str)  # fmt: skip
        listed = assert_counts_right(db)
        assert {(categories.category_key(c.name), c.count) for c in listed.counted} == {
            ("énergie", 3),
            ("social economy", 3),
            ("news", 1),
        }
        assert listed.uncategorised == 1
        # Follows: U1's two "cooperative in Énergie" are one (the oldest row, the
        # smaller after_item_id), its delivery record points at it; nothing else merged.
        assert rows(db, "SELECT id, user_id, keywords, category_key, after_item_id"
                        " FROM follows ORDER BY id") == [
            (1, "U1", "cooperative", "énergie", 3),
            (3, "U1", "housing", "énergie", 5),
            (4, "U2", "cooperative", "énergie", 4),
            (5, "U2", "cooperative", None, 4),
        ]  # fmt: skip
        assert rows(db, "SELECT follow_id FROM follow_deliveries") == [(1,)]
        assert dict(rows(db, "SELECT channel_id, categories FROM subscriptions")) == {
            "CBOTH": NFC,
            "CKEYS": "news\nsocial economy",
            "CALL": None,
        }
        assert rows(db, "SELECT category FROM sources") == [(NFC,)]
        with db.reading() as session:
            assert categories.choice_keys(NFC) == {"énergie"}
            assert categories.has_category(session, NFD)

        # Down: the old rule's keys of the NFC names, counts still exact; up again: the same.
        command.downgrade(config, "0019")
        assert set(rows(db, "SELECT DISTINCT category_key FROM items")) == {
            ("énergie",), ("social economy",), ("news",), (None,)}  # fmt: skip
        assert_counts_right(db)
        upgrade(empty_database_url)
        listed_again = assert_counts_right(db)
        assert {(c.name, c.count) for c in listed_again.counted} == {
            (c.name, c.count) for c in listed.counted
        }
        assert len(rows(db, "SELECT id FROM follows")) == 4
    finally:
        db.dispose()


def test_0020_on_an_empty_store_and_down_again(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0019")
    command.upgrade(config, "0020")
    db = Database(empty_database_url)
    try:
        assert rows(db, "SELECT version_num FROM alembic_version") == [("0020",)]
        assert rows(db, "SELECT count(*) FROM category_counts") == [(0,)]
        command.downgrade(config, "0019")
        assert rows(db, "SELECT version_num FROM alembic_version") == [("0019",)]
        upgrade(empty_database_url)
        assert rows(db, "SELECT count(*) FROM items") == [(0,)]
    finally:
        db.dispose()
