"""Migration 0022 (items_search.title_bits in the date index, PostgreSQL): items stored
before it get their titles' signatures and are found by the sieve after it, as items
written after it (triggers, bulk inserts, retitling); it goes down (column, functions
and the index's INCLUDE gone) and up again; on an empty store and a filled one. SQLite:
nothing changes, search works alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text, update

from storage import bulk, search
from storage.db import Database, alembic_config, upgrade
from storage.models import Item
from tests import search_migration_helpers as shared

BASE = datetime(2026, 11, 20, tzinfo=UTC)
TITLES = ["Coop housing", "Housing coops", "Credit union", "Coop energy", "Union coop"]


def insert_items(db: Database, titles: list[str], start: int) -> None:
    shared.insert_items(db, titles, start, base=BASE, summary="a report", tag="0022")


@pytest.fixture
def sieve(monkeypatch):
    """Statistics that send every title group to the sieve."""
    stats = search._LexemeStats(1_000_000.0, {"coop": 0.5, "coops": 0.5}, {"coop": 0.6})
    monkeypatch.setattr(search, "_lexeme_stats", lambda session: stats)
    monkeypatch.setattr(search, "SIEVE_MATCHES", 1)


def options(db: Database) -> list[str]:
    """items_search's storage parameters."""
    with db.reading() as session:
        found = session.scalar(text("SELECT reloptions FROM pg_class WHERE relname = 'items_search'"))
    return sorted(found or [])


def shape(db: Database) -> tuple[bool, str | None]:
    """(items_search has title_bits, ix_items_search_newest's definition)."""
    with db.reading() as session:
        column = session.scalar(
            text(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = 'items_search' AND column_name = 'title_bits'"
            )
        )
        index = session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_items_search_newest'")
        )
    return bool(column), index


def stale_bits(db: Database) -> int:
    """Rows whose signature is not their title document's."""
    with db.reading() as session:
        return session.scalar(
            text(
                "SELECT count(*) FROM items_search WHERE title_bits IS DISTINCT FROM"
                " coopnews_lexeme_bits(tsvector_to_array(title_document))"
            )
        )


@pytest.mark.parametrize("filled", [True, False], ids=["filled", "empty"])
def test_0022_up_down_up(empty_database_url, sieve, monkeypatch, filled):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0021")
    db = Database(empty_database_url)
    postgres = not empty_database_url.startswith("sqlite")
    try:
        if filled:
            insert_items(db, TITLES, 0)
        upgrade(empty_database_url)
        if postgres:
            has_bits, index = shape(db)
            assert has_bits and "INCLUDE (title_bits)" in index
            assert options(db) == [
                "autovacuum_vacuum_insert_scale_factor=0",
                "autovacuum_vacuum_insert_threshold=10000",
            ]
            assert stale_bits(db) == 0
            # storage.db.upgrade vacuumed the rewritten table (VACUUM_AFTER): its pages
            # are all-visible, so the sieve can read the index alone at once.
            assert (shared.search_pages_all_visible(db) > 0) == filled
        old = ["Coop housing", "Housing coops", "Coop energy", "Union coop"] if filled else []
        assert shared.found(db, "coop") == old
        # After it: the triggers (one row at a time), a bulk insert, a retitled item.
        insert_items(db, ["Coop dairy"], 10)
        monkeypatch.setattr(bulk, "BULK_ROWS", 3)
        insert_items(db, ["Coops of Kenya", "Fair coop", "Rain"], 20)
        with db.transaction() as session:
            session.execute(update(Item).where(Item.title == "Rain").values(title="Rain coop"))
        want = old + ["Coop dairy", "Coops of Kenya", "Fair coop", "Rain coop"]
        assert shared.found(db, "coop") == want
        if postgres:
            assert stale_bits(db) == 0
        command.downgrade(config, "0021")
        if postgres:
            has_bits, index = shape(db)
            assert not has_bits and "INCLUDE" not in index and options(db) == []
            with db.reading() as session:
                left = session.scalar(
                    text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'coopnews_%bits%'")
                )
            assert left == 0
        insert_items(db, ["Coop again"], 30)  # 0021's trigger
        upgrade(empty_database_url)
        assert shared.found(db, "coop") == want + ["Coop again"]
        if postgres:
            assert stale_bits(db) == 0
    finally:
        db.dispose()
