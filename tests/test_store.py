"""The store's named operations, on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from domain.items import ItemDraft, fingerprint
from storage import categories, store
from storage.db import normalise_url
from storage.entries import add_items
from storage.models import Item

DAY = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)


def draft(title: str, days: int = 0, category: str | None = "News") -> ItemDraft:
    return ItemDraft(
        title=title,
        published_at=DAY - timedelta(days=days),
        origin="test",
        fingerprint=fingerprint(title),
        category=category,
    )


def test_add_items_is_idempotent_and_dedupes_within_a_batch(db):
    with db.transaction() as session:
        first = add_items(session, [draft("A"), draft("B"), draft("A")])
    assert (len(first.added), first.already_present) == (2, 1)
    with db.transaction() as session:
        again = add_items(session, [draft("A"), draft("B"), draft("C")])
    assert (len(again.added), again.already_present) == (1, 2)
    with db.reading() as session:
        assert store.count_items(session) == 3


def test_latest_order_ties_category_and_retraction(db):
    with db.transaction() as session:
        add_items(
            session,
            [
                draft("old", 3),
                draft("same day 1", 1),
                draft("same day 2", 1),
                draft("new", 0, "Art"),
            ],
        )
    with db.reading() as session:
        titles = [i.title for i in store.latest(session, 10)]
    # newest first; on the same date, the later-added first
    assert titles == ["new", "same day 2", "same day 1", "old"]
    with db.transaction() as session:
        session.execute(update(Item).where(Item.title == "same day 2").values(retracted_at=DAY))
    with db.reading() as session:
        assert [i.title for i in store.latest(session, 10, "NEWS")] == ["same day 1", "old"]
        assert [i.title for i in store.latest(session, 1, offset=1)] == ["same day 1"]
        assert store.latest(session, 99) and len(store.latest(session, 99)) <= store.MAX_LATEST
        assert categories.has_category(session, "art")
        assert not categories.has_category(session, "sport")


def test_datetimes_come_back_timezone_aware(db):
    with db.transaction() as session:
        add_items(session, [draft("tz")])
    with db.reading() as session:
        item = store.latest(session, 1)[0]
    assert item.published_at == DAY
    assert item.published_at.tzinfo is not None and item.created_at.tzinfo is not None


def test_fingerprint_ignores_case_accents_and_spacing():
    assert fingerprint("Özge  Berber-Agtaş") == fingerprint("ozge berber agtas")
    assert fingerprint("A", "2017-07-06") != fingerprint("A", "2017-07-07")


def test_heroku_urls_are_accepted():
    assert normalise_url("postgres://u:p@h:5432/d") == "postgresql+psycopg://u:p@h:5432/d"
    assert normalise_url("postgresql://h/d") == "postgresql+psycopg://h/d"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
