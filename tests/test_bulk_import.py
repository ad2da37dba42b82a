"""A large import stores exactly what a small one does (issue 16): a listing file is
streamed and stored a chunk at a time, and on PostgreSQL its items go in by COPY with
their search rows and category deltas written in bulk (storage/bulk.py, migration 0017).

Chunks and the bulk threshold are made tiny here (module constants), so a listing of a
few dozen entries crosses many chunk boundaries; every answer is compared with the
one-shot, row-by-row path on a second database. SQLite and PostgreSQL (TEST_DATABASE_URL).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select, text

from domain.identity import import_scope
from domain.words import parse_query
from sources import ilo
from sources.documents import listing_drafts
from sources.importer import ImportFailed, import_listing_lines, import_source
from storage import bulk, categories, entries
from storage.curation import ItemFields, update_item
from storage.db import Database, upgrade
from storage.entries import add_items
from storage.models import EntryKey, Item
from storage.search import search
from tests.conftest import new_database

CATEGORIES = ["News", "news", "Housing", "Décent work", "COOP Champions"]
QUERIES = ["cooperative", "housing", "decent", "story 7", "members", "zebra"]


def listing(rows: list[tuple[str, str, date]]) -> str:
    parts = ["News, stories and statements on cooperatives\n"]
    for number, (category, title, day) in enumerate(rows, start=1):
        parts.append(
            f"  {number}. {category}\n\n    {title}\n\n    {day.day:02d} {day:%B} {day.year}\n\n"
            f"    A summary of {title.lower()}: members and cooperatives.\n"
        )
    return "\n".join(parts)


def entries_of_a_big_listing() -> list[tuple[str, str, date]]:
    rows = [
        (CATEGORIES[i % 5], f"Cooperative story {i} about housing", date(2026, 11, 1 + i % 20))
        for i in range(40)
    ]
    rows[30] = rows[3]  # the very same entry again, chunks later
    # The same title and day in other letters (one story by rule 3), chunks later.
    rows[35] = ("News", rows[5][1].upper(), rows[5][2])
    rows[38] = ("Housing", "Cooperative story 38 about housing", date(2026, 11, 30))
    return rows


def answers(url: str) -> dict:
    """Everything a reader sees of the store: items, keys, counts, search pages."""
    db = Database(url)
    try:
        with db.reading() as session:
            items = session.execute(
                select(Item.title, Item.category, Item.summary, Item.published_at).order_by(Item.id)
            ).all()
            keys = session.execute(
                select(EntryKey.key_hash, EntryKey.title, EntryKey.date).order_by(EntryKey.id)
            ).all()
            listed = categories.category_list(session)
            found = {
                q: [item.title for item in search(session, parse_query(q), limit=50).items]
                for q in QUERIES
            }
            deltas = session.scalar(text("SELECT sum(delta) FROM category_counts"))
        return {
            "items": [tuple(row) for row in items],
            "keys": [tuple(row) for row in keys],
            "categories": [(c.name, c.count) for c in listed.counted],
            "total": listed.total,
            "deltas": deltas,
            "search": found,
        }
    finally:
        db.dispose()


@pytest.fixture
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(entries, "STREAM_CHUNK", 7)
    monkeypatch.setattr(bulk, "BULK_ROWS", 3)


def test_a_streamed_bulk_import_stores_what_the_one_shot_path_stores(tmp_path, tiny_chunks):
    path = tmp_path / "listing.txt"
    path.write_text(listing(entries_of_a_big_listing()), encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with new_database(tmp_path / "a") as streamed, new_database(tmp_path / "b") as one_shot:
        summary = import_source(Database(streamed), str(path))
        assert (summary.added, summary.already_present, summary.skipped) == (38, 2, 0)

        # The same drafts as one list: matched whole, inserted row by row (triggers).
        drafts = listing_drafts(ilo.parse_listing(path.read_text(encoding="utf-8")))
        db = Database(one_shot)
        bulk.BULK_ROWS = 10**9  # restored by the fixture's monkeypatch
        with db.transaction() as session:
            result = add_items(session, drafts, scope=import_scope(str(path.resolve())))
        db.dispose()
        assert (len(result.added), result.already_present) == (38, 2)

        expected = answers(one_shot)
        assert answers(streamed) == expected
        assert expected["search"]["housing"] and expected["total"] == 38 == expected["deltas"]

        again = import_source(Database(streamed), str(path))
        assert (again.added, again.already_present) == (0, 40)
        assert answers(streamed) == expected


def test_a_failure_after_some_chunks_writes_nothing(tmp_path, tiny_chunks):
    text_ = listing(entries_of_a_big_listing()[:30]) + "\n  31. News\n\n    bin\x00ary\n"
    path = tmp_path / "broken.txt"
    path.write_bytes(text_.encode())
    with new_database(tmp_path) as url:
        db = Database(url)
        # Read as read_text_file reads it, NUL removed: the stream must see the same.
        assert import_source(db, str(path)).added == 30
    (tmp_path / "2").mkdir()
    with new_database(tmp_path / "2") as url:
        db = Database(url)
        lines = iter(listing(entries_of_a_big_listing()[:30]).split("\n") + ["31. x", "a\x00b"])
        with pytest.raises(ImportFailed, match="binary"):
            import_listing_lines(db, lines, "broken")
        with db.reading() as session:
            assert session.scalar(select(func.count()).select_from(Item)) == 0
            assert categories.visible_count(session) == 0
        db.dispose()


def test_writes_after_a_bulk_insert_in_the_same_transaction_keep_their_triggers(db, tiny_chunks):
    path_rows = entries_of_a_big_listing()[:12]
    drafts = listing_drafts(ilo.parse_listing(listing(path_rows)))
    with db.transaction() as session:
        added = add_items(session, drafts, scope="import:t").added
        # Row by row now: an update and a small insert fire the triggers again.
        item = session.get(Item, added[0])
        fields = ItemFields(
            title="Zebra cooperative",
            url=None,
            category="Zoology",
            published_on=item.published_at.date(),
            summary=item.summary,
        )
        update_item(session, item, fields, "UADMIN")
        zebra = replace(
            drafts[0], title="Zebra crossing", key="zebra", fingerprint="zebra", category="Zoology"
        )
        add_items(session, [zebra], scope="import:t")
    with db.reading() as session:
        found = [i.title for i in search(session, parse_query("zebra"), limit=10).items]
        assert sorted(found) == ["Zebra cooperative", "Zebra crossing"]
        counted = {c.name: c.count for c in categories.category_list(session).counted}
        assert counted["Zoology"] == 2 and categories.visible_count(session) == 13


def test_a_store_upgraded_from_0011_answers_as_one_built_at_the_head(tmp_path):
    # Search reads the head's schema only (every process upgrades the store at start):
    # the migrations after 0011 must index the items stored before them as a store
    # built at the head indexes the same items.
    drafts = listing_drafts(ilo.parse_listing(listing(entries_of_a_big_listing())))
    (tmp_path / "old").mkdir()
    (tmp_path / "head").mkdir()
    with (
        new_database(tmp_path / "old", migrate=False) as url,
        new_database(tmp_path / "head") as head,
    ):
        upgrade(url, "0011")
        for target in (url, head):
            db = Database(target)
            with db.transaction() as session:  # below BULK_ROWS: the triggers index them
                add_items(session, drafts[:20], scope="import:old")
            db.dispose()
        upgrade(url)
        expected = answers(head)
        assert expected["search"]["housing"] and expected["total"] == 20
        assert answers(url) == expected
        # After the upgrade a bulk insert indexes and counts its items like the triggers.
        db = Database(url)
        with db.transaction() as session:
            assert bulk.BULK_ROWS <= 200
            big = [
                replace(d, title=f"{d.title} again {n}", key=f"k{n}", fingerprint=f"f{n}")
                for n, d in enumerate(drafts * 6)
            ]
            assert len(add_items(session, big[:210], scope="import:new").added) == 210
        db.dispose()
        after = answers(url)
        assert after["total"] == after["deltas"] == 20 + 210
        assert len(after["search"]["housing"]) == 50  # the page's limit: all match


def test_a_listing_file_read_by_blocks_reads_as_the_whole_file(tmp_path, monkeypatch):
    from sources import importer

    body = listing(entries_of_a_big_listing()[:6]).replace("\n", "\r\n")
    raw = b"\xef\xbb\xbf" + body.encode() + b"\r\n  7. News\r\n\r\n    Caf\xe9 \x07co-op\r"
    path = tmp_path / "windows.txt"
    path.write_bytes(raw)
    whole = importer.read_text_file(path)
    whole = whole.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for block in (1, 2, 7, 64, 1 << 20):
        monkeypatch.setattr(importer, "READ_BLOCK", block)
        lines = list(importer.listing_file_lines(path))
        assert [line for line in lines if line] == [line for line in whole if line]
        assert "Café co-op" in [line.strip() for line in lines]
