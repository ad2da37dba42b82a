"""Migration 0024 (search documents split at punctuation, PostgreSQL): items stored
before it get documents split as SQLite's and are found by "COVID-19" or "1.5" after
it, as items written after it (triggers, bulk inserts, retitling); it goes down (0006's
function and documents back: PostgreSQL misses them again) and up again; on an empty
store and a filled one. SQLite: nothing changes, search finds them throughout."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text, update

from storage import bulk
from storage.db import Database, alembic_config, upgrade
from storage.models import Item
from tests import search_migration_helpers as shared

BASE = datetime(2026, 11, 25, tzinfo=UTC)
TITLES = ["COVID-19 recovery", "Rates rise 1.5 percent", "Credit union", "COVID-19 in 1.5 years"]


def insert_items(db: Database, titles: list[str], start: int) -> None:
    summary = "see https://www.ica.coop/en/news?id=3#top"
    shared.insert_items(db, titles, start, base=BASE, summary=summary, tag="0024")


def stale_documents(db: Database) -> int:
    """items_search rows whose documents (or title bits) are not what the current
    coopnews_search_document gives for their item."""
    with db.reading() as session:
        return session.scalar(
            text(
                "SELECT count(*) FROM items_search JOIN items ON items.id = items_search.item_id"
                " WHERE title_document <> coopnews_search_document(items.title)"
                " OR document <> coopnews_search_document("
                "items.title || ' ' || coalesce(items.summary, ''))"
                " OR title_bits IS DISTINCT FROM"
                " coopnews_lexeme_bits(tsvector_to_array(title_document))"
            )
        )


def split(db: Database, body: str) -> list[str]:
    """The lexemes coopnews_search_document gives `body`."""
    with db.reading() as session:
        return list(
            session.scalar(
                text("SELECT tsvector_to_array(coopnews_search_document(:body))"), {"body": body}
            )
        )


def searches(db: Database) -> dict[str, list[str]]:
    return {words: shared.found(db, words) for words in ("COVID-19", '"1.5"', "www coop", "union")}


@pytest.mark.parametrize("filled", [True, False], ids=["filled", "empty"])
def test_0024_up_down_up(empty_database_url, monkeypatch, filled):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0023")
    db = Database(empty_database_url)
    postgres = not empty_database_url.startswith("sqlite")
    try:
        if filled:
            insert_items(db, TITLES, 0)
        old = TITLES if filled else []
        if postgres:  # 0006's documents: compound tokens
            assert sorted(split(db, "COVID-19 1.5")) == ["-19", "1.5", "covid"]
        upgrade(empty_database_url)
        if postgres:
            assert sorted(split(db, "COVID-19 1.5 «coop»")) == ["1", "19", "5", "coop", "covid"]
            assert stale_documents(db) == 0
            # storage.db.upgrade vacuumed it (VACUUM_AFTER)
            assert (shared.search_pages_all_visible(db) > 0) == filled
        assert searches(db) == {
            "COVID-19": [t for t in old if t.startswith("COVID-19")],
            '"1.5"': [t for t in old if "1.5" in t],
            "www coop": old,
            "union": [t for t in old if "union" in t],
        }
        # After it: the triggers (one row at a time), a bulk insert, a retitled item.
        insert_items(db, ["COVID-19 dairy"], 10)
        monkeypatch.setattr(bulk, "BULK_ROWS", 3)
        insert_items(db, ["Union at 1.5", "Fair coop", "Rain"], 20)
        with db.transaction() as session:
            session.execute(update(Item).where(Item.title == "Rain").values(title="Rain COVID-19"))
        everything = old + ["COVID-19 dairy", "Union at 1.5", "Fair coop", "Rain COVID-19"]
        after = {
            "COVID-19": [t for t in everything if "COVID-19" in t],
            '"1.5"': [t for t in everything if "1.5" in t],
            "www coop": everything,
            "union": [t for t in everything if "nion" in t],
        }
        assert searches(db) == after
        if postgres:
            assert stale_documents(db) == 0
        command.downgrade(config, "0023")
        if postgres:
            assert sorted(split(db, "COVID-19 1.5")) == ["-19", "1.5", "covid"]
            assert stale_documents(db) == 0
            assert shared.found(db, "COVID-19") == [] and shared.found(db, "www coop") == []
        else:
            assert searches(db) == after
        insert_items(db, ["COVID-19 again"], 30)  # 0006's function
        upgrade(empty_database_url)
        if postgres:
            assert stale_documents(db) == 0
        after["COVID-19"].append("COVID-19 again")
        after["www coop"].append("COVID-19 again")
        assert searches(db) == after
    finally:
        db.dispose()
