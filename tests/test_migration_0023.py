"""Migration 0023 (stored text without bidi controls): rows written before the rule
lose U+202A–U+202E and U+2066–U+2069 in titles, summaries, category spellings,
source titles, suggestions, scheduled items, the audit log, follows and channel
rules; clean rows are not written; counts stay exact and search reads the clean
titles. SQLite and, with TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from storage import categories, search
from storage.db import Database, alembic_config, upgrade
from tests.test_category_counts import assert_counts_right

BEFORE = "0022"
DAY = datetime(2026, 11, 20, tzinfo=UTC)
RLO, PDF, LRI, PDI = "\u202e", "\u202c", "\u2066", "\u2069"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def fill_before(db: Database) -> dict[str, int]:
    ids: dict[str, int] = {}
    items = [
        ("hostile", f"Cooperative {RLO}gnikaerb{PDF}  news", "Energy" + RLO, f"a {LRI}b{PDI}"),
        ("clean", "Cooperative housing", "Energy", "plain"),
        ("only controls", "Cooperative finance", RLO + PDF, None),
    ]
    with db.transaction() as session:
        for n, (name, title, category, summary) in enumerate(items):
            ids[name] = session.scalar(
                text(
                    "INSERT INTO items (title, category, category_key, summary, published_at,"
                    " origin, fingerprint, created_at, updated_at, announce)"
                    " VALUES (:t, :c, :k, :s, :p, 'feed', :f, :p, :p, :a) RETURNING id"
                ),
                {"t": title, "c": category, "k": categories.category_key(category),
                 "s": summary, "p": DAY, "f": f"f{n}", "a": True},
            )  # fmt: skip
        session.execute(
            text(
                "INSERT INTO sources (url, title, category, created_at, interval_seconds,"
                " failures) VALUES ('https://a.example.coop/feed', :t, :c, :d, 1800, 0)"
            ),
            {"t": f"{RLO}pooC", "c": f"Energy{PDF}", "d": DAY},
        )
        session.execute(
            text(
                "INSERT INTO follows (id, user_id, keywords, category_key, created_at,"
                " after_item_id) VALUES (1, 'U1', :w, NULL, :d, 0)"
            ),
            {"w": f"coop{RLO}", "d": DAY},
        )
        session.execute(
            text(
                "INSERT INTO subscriptions (channel_id, categories, matching, created_at,"
                " after_item_id, mode, format, previews)"
                " VALUES ('C1', :cat, :m, :d, 0, 'instant', 'full', :p)"
            ),
            {"cat": f"Energy{RLO}", "m": f"{LRI}housing{PDI}", "d": DAY, "p": False},
        )
        session.execute(
            text(
                "INSERT INTO audit_log (at, user_id, action, item_id, item_title, details)"
                " VALUES (:d, 'U1', 'added', :i, :t, NULL)"
            ),
            {"d": DAY, "i": ids["hostile"], "t": f"Cooperative {RLO}gnikaerb"},
        )
    return ids


def rows(db: Database, sql: str) -> list[tuple]:
    with db.reading() as session:
        return [tuple(r) for r in session.execute(text(sql)).all()]


def holds_control(value) -> bool:
    return isinstance(value, str) and any(char in value for char in BIDI)


def test_0023_cleans_every_stored_text_and_keeps_counts_exact(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, BEFORE)
    db = Database(empty_database_url)
    try:
        ids = fill_before(db)
        clean_before = rows(db, f"SELECT updated_at FROM items WHERE id = {ids['clean']}")
        upgrade(empty_database_url)

        assert rows(db, "SELECT id, title, category, summary FROM items ORDER BY id") == [
            (ids["hostile"], "Cooperative gnikaerb news", "Energy", "a b"),
            (ids["clean"], "Cooperative housing", "Energy", "plain"),
            (ids["only controls"], "Cooperative finance", None, None),
        ]
        assert rows(db, "SELECT title, category FROM sources") == [("pooC", "Energy")]
        assert rows(db, "SELECT keywords FROM follows") == [("coop",)]
        assert rows(db, "SELECT categories, matching FROM subscriptions") == [
            ("Energy", "housing")
        ]
        assert rows(db, "SELECT item_title FROM audit_log") == [("Cooperative gnikaerb",)]
        for table, columns in (
            ("items", "title, category, summary"),
            ("sources", "title, category"),
            ("audit_log", "item_title, details"),
        ):
            assert not any(map(holds_control, sum(rows(db, f"SELECT {columns} FROM {table}"), ())))
        assert rows(db, f"SELECT updated_at FROM items WHERE id = {ids['clean']}") == clean_before

        listed = assert_counts_right(db)
        assert [(c.name, c.count) for c in listed.counted] == [("Energy", 2)]
        assert listed.uncategorised == 1
        with db.reading() as session:
            found = search.search(session, search.parse_query("gnikaerb"))
        assert [item.title for item in found.items] == ["Cooperative gnikaerb news"]

        # Down leaves the text clean; up again changes nothing.
        command.downgrade(config, BEFORE)
        upgrade(empty_database_url)
        assert rows(db, "SELECT title FROM items ORDER BY id")[0] == ("Cooperative gnikaerb news",)
    finally:
        db.dispose()
