"""Migration 0021 (items_search.published_at, PostgreSQL): items stored before it are
found after it, newest first, retracted ones never; the triggers keep the date after it; it
downgrades and upgrades again. SQLite: nothing changes, search works alike. (Search reads the
head's schema only: every process upgrades the store at start.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text, update

from storage.db import Database, alembic_config, upgrade
from storage.models import Item
from storage.search import parse_query, search

BASE = datetime(2026, 11, 20, tzinfo=UTC)


def insert_item(db: Database, title: str, days_ago: int, retracted: bool = False) -> None:
    published = BASE - timedelta(days=days_ago)
    with db.transaction() as session:
        session.execute(
            text(
                "INSERT INTO items (title, url, published_at, origin, fingerprint, created_at,"
                " updated_at, announce, retracted_at) VALUES (:t, :u, :p, 'test', :f, :p, :p,"
                " false, :r)"
            ),
            {
                "t": title,
                "u": f"https://a.example/{title}",
                "p": published,
                "f": title,
                "r": BASE if retracted else None,
            },
        )


def found(db: Database, words: str) -> list[str]:
    with db.reading() as session:
        return [i.title for i in search(session, parse_query(words), 10).items]


def stored_dates(db: Database) -> dict[str, datetime | None]:
    with db.reading() as session:
        rows = session.execute(
            text(
                "SELECT items.title, items_search.published_at FROM items_search"
                " JOIN items ON items.id = items_search.item_id"
            )
        )
        return dict(rows.all())


def test_0021_dates_the_items_stored_before_it(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0020")
    db = Database(empty_database_url)
    postgres = not empty_database_url.startswith("sqlite")
    try:
        insert_item(db, "coop a", 3)
        insert_item(db, "coop b", 1)
        insert_item(db, "coop c", 2, retracted=True)
        insert_item(db, "coop d", 5)
        upgrade(empty_database_url)
        assert found(db, "coop") == ["coop b", "coop a", "coop d"]
        if postgres:
            dates = stored_dates(db)
            assert dates["coop c"] is None
            assert dates["coop b"] == BASE - timedelta(days=1)
        # After it, the triggers keep the date: a retraction, a return, a new date.
        with db.transaction() as session:
            session.execute(update(Item).where(Item.title == "coop c").values(retracted_at=None))
            session.execute(update(Item).where(Item.title == "coop a").values(retracted_at=BASE))
            session.execute(update(Item).where(Item.title == "coop d").values(published_at=BASE))
        insert_item(db, "coop e", 4)
        assert found(db, "coop") == ["coop d", "coop b", "coop c", "coop e"]
        command.downgrade(config, "0020")
        if postgres:
            with db.reading() as session:
                columns = session.scalars(
                    text(
                        "SELECT column_name FROM information_schema.columns"
                        " WHERE table_name = 'items_search'"
                    )
                ).all()
            assert "published_at" not in columns
        insert_item(db, "coop f", 0)  # indexed by 0020's trigger
        upgrade(empty_database_url)
        assert found(db, "coop") == ["coop f", "coop d", "coop b", "coop c", "coop e"]
    finally:
        db.dispose()
