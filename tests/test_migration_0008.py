"""Migration 0008 (items.url as TEXT): long links fit, search keeps working, and
nothing that refers to items is lost on the way (SQLite keeps its table as it is)."""
from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, inspect, text

from storage.db import Database, alembic_config, upgrade
from storage.search import parse_query, search

LONG_LINK = "https://news.example-aggregator.com/rss/articles/" + "x" * 2635


def insert_item(db: Database, title: str, url: str | None, fingerprint: str) -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    with db.transaction() as session:
        session.execute(
            text(
                "INSERT INTO items (title, url, published_at, origin, fingerprint, created_at,"
                " updated_at, announce) VALUES (:t, :u, :p, 'test', :f, :p, :p, :a)"
            ),
            {"t": title, "u": url, "p": now, "f": fingerprint, "a": True},
        )


def found(db: Database, words: str) -> list[str]:
    with db.reading() as session:
        return [i.title for i in search(session, parse_query(words)).items]


def url_type(url: str) -> str:
    engine = create_engine(url)
    try:
        column = next(c for c in inspect(engine).get_columns("items") if c["name"] == "url")
        return str(column["type"]).upper()
    finally:
        engine.dispose()


def test_0008_keeps_search_working_and_takes_long_links(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0006")
    db = Database(empty_database_url)
    try:
        insert_item(db, "Bakery cooperative opens", "https://a.example/1", "f1")
        assert "VARCHAR" in url_type(empty_database_url)
        upgrade(empty_database_url)  # to head, through 0008
        # PostgreSQL's column becomes TEXT; SQLite never enforced the length, and its
        # table is left as it is (a rebuild would cascade-delete what refers to items).
        sqlite = empty_database_url.startswith("sqlite")
        assert url_type(empty_database_url) == ("VARCHAR(2000)" if sqlite else "TEXT")
        assert found(db, "bakery") == ["Bakery cooperative opens"]
        # Written after the upgrade: the triggers index it, long link and all.
        insert_item(db, "Dairy cooperative merges", LONG_LINK, "f2")
        assert found(db, "dairy") == ["Dairy cooperative merges"]
        with db.reading() as session:
            stored = session.scalar(text("SELECT url FROM items WHERE fingerprint = 'f2'"))
        assert stored == LONG_LINK  # whole, on both databases
        with db.transaction() as session:
            session.execute(
                text("UPDATE items SET title = 'Grain cooperative merges' WHERE fingerprint = 'f2'")
            )
            session.execute(text("DELETE FROM items WHERE fingerprint = 'f1'"))
        assert found(db, "dairy") == [] and found(db, "bakery") == []
        assert found(db, "grain") == ["Grain cooperative merges"]
        # Down and up again: long links are dropped from items going down, entries kept.
        command.downgrade(config, "0006")
        with db.reading() as session:
            assert session.scalar(text("SELECT count(*) FROM items WHERE url IS NULL")) == 1
        upgrade(empty_database_url)
        assert found(db, "grain") == ["Grain cooperative merges"]
    finally:
        db.dispose()
