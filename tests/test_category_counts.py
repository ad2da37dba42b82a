"""Category counts kept by 0011's triggers stay equal to a count over every item, through
adds, edits, retractions, re-categorising, feed imports, merges, deletes, folds and racing
transactions, on SQLite and PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import delete, func, insert, inspect, select, text, update

from domain.items import ItemDraft
from sources.documents import read_document
from storage import categories, counts
from storage.curation import ItemFields, add_item, retract_item, update_item
from storage.db import Database, alembic_config
from storage.entries import add_items
from storage.models import CategoryDelta, Item, ItemSource
from storage.sources import create_source, list_sources, remove_source
from tests.feed_samples import rss2

DAY = datetime(2026, 11, 20, tzinfo=UTC)


def draft(title: str, category: str | None, url: str | None = None) -> ItemDraft:
    return ItemDraft(
        title=title, published_at=DAY, origin="feed", url=url, category=category, key=title
    )


def counted_from_items(session) -> tuple[dict[str, int], int]:
    """The truth: a GROUP BY over every visible item (what 0011 spares the commands)."""
    rows = session.execute(
        select(Item.category_key, func.count())
        .where(Item.retracted_at.is_(None))
        .group_by(Item.category_key)
    ).all()
    found = {key: n for key, n in rows}
    return {k: n for k, n in found.items() if k is not None}, found.get(None, 0)


def assert_counts_right(db) -> categories.CategoryList:
    with db.reading() as session:
        listed = categories.category_list(session)
        by_key, uncategorised = counted_from_items(session)
    assert {categories.category_key(c.name): c.count for c in listed.counted} == by_key
    assert listed.uncategorised == uncategorised
    assert [c.count for c in listed.counted] == sorted(by_key.values(), reverse=True)
    return listed


def test_counts_follow_adds_edits_retractions_and_recategorising(db):
    with db.transaction() as session:
        add_items(session, [draft("a", "News"), draft("b", "news"), draft("c", None)])
        admin = add_item(session, ItemFields("d", None, "Housing", date(2026, 11, 20), None), "U1")
    listed = assert_counts_right(db)
    assert [(c.name, c.count) for c in listed.counted] == [("news", 2), ("Housing", 1)]
    assert listed.uncategorised == 1 and listed.total == 4
    with db.transaction() as session:
        item = session.get(Item, admin.id)
        update_item(session, item, ItemFields("d2", None, "News", date(2026, 11, 20), None), "U1")
    listed = assert_counts_right(db)
    # The spelling last stored wins ("News" from the edit).
    assert [(c.name, c.count) for c in listed.counted] == [("News", 3)]
    with db.transaction() as session:
        retract_item(session, session.get(Item, admin.id), "U1")
        # A title-only edit moves nothing.
        session.execute(update(Item).where(Item.title == "a").values(title="a2"))
    listed = assert_counts_right(db)
    assert [(c.name, c.count) for c in listed.counted] == [("News", 2)]  # "a" has it too
    with db.transaction() as session:  # un-retract, re-categorise in bulk, delete
        session.execute(update(Item).where(Item.id == admin.id).values(retracted_at=None))
        session.execute(
            update(Item)
            .where(Item.category_key.is_(None))
            .values(category="Art", category_key="art")
        )
        session.execute(delete(Item).where(Item.title == "b"))
    listed = assert_counts_right(db)
    assert {c.name: c.count for c in listed.counted} == {"News": 2, "Art": 1}
    with db.reading() as session:
        assert categories.has_category(session, "ART") and not categories.has_category(session, "x")
        assert categories.visible_count(session) == 3


def test_feed_imports_and_merges_count_each_item_once(db):
    date = "Fri, 20 Nov 2026 10:00:00 GMT"
    feed = rss2(
        [
            {"title": "One", "link": "https://a.example/1", "date": date,
             "extra": "<category>Coops</category>"},
            {"title": "Two", "link": "https://a.example/2", "date": date,
             "extra": "<category>coops</category>"},
            {"title": "Three", "link": "https://a.example/3", "date": date},
        ]
    )  # fmt: skip
    document = read_document(feed.encode(), "https://a.example/feed")
    for _ in range(2):  # the second import resolves every entry to the stored item
        with db.transaction() as session:
            add_items(session, document.drafts, scope="import:x")
    # The same stories through another scope (a second feed): merged, not counted twice.
    with db.transaction() as session:
        result = add_items(session, document.drafts, scope="import:y")
    assert result.added == []
    listed = assert_counts_right(db)
    assert listed.total == 3


def test_folding_keeps_every_count(db):
    with db.transaction() as session:
        add_items(session, [draft(f"t{i}", f"Cat {i % 7}") for i in range(300)])
        session.execute(update(Item).where(Item.id % 5 == 0).values(retracted_at=DAY))
    before = assert_counts_right(db)
    with db.transaction() as session:
        assert categories.fold(session) is None  # below FOLD_AFTER: left alone
        left = categories.fold(session, force=True)
    with db.reading() as session:
        rows = session.scalar(select(func.count()).select_from(CategoryDelta))
    assert left == rows == 7
    assert assert_counts_right(db) == before


def test_racing_writers_and_folds_keep_counts_right(db):
    """Threads each commit items and retractions in many categories at once, in
    opposite orders, while others fold: no lost update, no deadlock."""
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(n: int) -> None:
        try:
            start.wait()
            names = [f"Cat {i}" for i in range(6)]
            for round_ in range(5):
                order = names if n % 2 else list(reversed(names))
                with db.transaction() as session:
                    titles = [(f"w{n}-{round_}-{c}", c) for c in order]
                    add_items(session, [draft(t, c, f"https://x.example/{t}") for t, c in titles])
                    session.execute(
                        update(Item)
                        .where(Item.title == f"w{n}-{round_}-Cat 0")
                        .values(retracted_at=DAY)
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def folder() -> None:
        try:
            start.wait()
            for _ in range(10):
                with db.transaction() as session:
                    categories.fold(session, force=True)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    threads.append(threading.Thread(target=folder))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if db.engine.dialect.name == "sqlite":  # one writer at a time: a busy database may refuse
        errors = [e for e in errors if "locked" not in str(e)]
    assert errors == []
    listed = assert_counts_right(db)
    if db.engine.dialect.name == "postgresql":  # every transaction went through
        assert listed.total == 3 * 5 * 5 and len(listed.counted) == 5


def test_migration_counts_items_stored_before_it_and_downgrades(empty_database_url):
    """0011 on a database with items: counted at once; down and up again keeps them right."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0010")
    db = Database(empty_database_url)
    try:
        with db.transaction() as session:  # as 0010's code stored them
            for title, category in (("a", "News"), ("b", "news"), ("c", None)):
                session.execute(
                    text(
                        "INSERT INTO items (title, category, category_key, published_at, origin,"
                        " fingerprint, created_at, updated_at, announce)"
                        " VALUES (:t, :c, :k, :p, 'test', :t, :p, :p, :a)"
                    ),
                    {"t": title, "c": category, "k": categories.category_key(category),
                     "p": DAY, "a": True},
                )  # fmt: skip
        command.upgrade(config, "0011")
        assert [(c.name, c.count) for c in assert_counts_right(db).counted] == [("news", 2)]
        command.downgrade(config, "0010")
        with db.engine.connect() as conn:
            assert "category_counts" not in inspect(conn).get_table_names()
        command.upgrade(config, "head")
        with db.transaction() as session:
            add_items(session, [draft("d", "Art")])
        assert assert_counts_right(db).total == 4
    finally:
        db.engine.dispose()


def test_imports_fold_the_deltas_they_write(db, monkeypatch):
    monkeypatch.setattr(counts, "FOLD_AFTER", 50)
    with db.transaction() as session:
        add_items(session, [draft(f"i{i}", f"Cat {i % 3}") for i in range(120)])
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(CategoryDelta)) == 3
    assert assert_counts_right(db).total == 120


def source_counts_from_items(session) -> dict[int, int]:
    """The truth: every (item, source) link of a visible item, counted (what 0011 spares)."""
    rows = session.execute(
        select(ItemSource.source_id, func.count())
        .join(Item, Item.id == ItemSource.item_id)
        .where(Item.retracted_at.is_(None))
        .group_by(ItemSource.source_id)
    ).all()
    return dict(rows)


def test_source_item_counts_follow_items_links_retractions_and_deletes(db):
    with db.transaction() as session:
        one = create_source(session, url="https://one.example/feed", now=DAY)
        two = create_source(session, url="https://two.example/feed", now=DAY)
        session.flush()
        one_id, two_id = one.id, two.id
        add_items(session, [draft(f"s{i}", "News", f"https://s.example/{i}") for i in range(4)],
                  source_id=one_id)  # fmt: skip
        # The same stories through the second source: merged, linked to both.
        add_items(session, [draft(f"s{i}", "News", f"https://s.example/{i}") for i in range(2)],
                  source_id=two_id)  # fmt: skip
    with db.transaction() as session:
        session.execute(update(Item).where(Item.title == "s0").values(retracted_at=DAY))
        session.execute(delete(Item).where(Item.title == "s3"))
    with db.transaction() as session:
        session.execute(update(Item).where(Item.title == "s0").values(retracted_at=None))
        session.execute(update(Item).where(Item.title == "s1").values(retracted_at=DAY))
        session.execute(delete(ItemSource).where(ItemSource.item_id == select(Item.id).where(
            Item.title == "s2").scalar_subquery(), ItemSource.source_id == one_id))  # fmt: skip
    with db.transaction() as session:
        categories.fold(session, force=True)
    with db.reading() as session:
        listed = {row.source.id: row.item_count for row in list_sources(session)}
        truth = source_counts_from_items(session)
    assert listed == {one_id: truth.get(one_id, 0), two_id: truth.get(two_id, 0)}
    assert listed == {one_id: 1, two_id: 1}
    with db.transaction() as session:
        remove_source(session, one_id)
    with db.reading() as session:
        assert {row.source.id: row.item_count for row in list_sources(session)} == {two_id: 1}


def test_a_bulk_load_is_folded_by_the_next_read(db, monkeypatch):
    """Rows written around add_items (a Core bulk load) are folded by the next read,
    in its own transaction, so reads stay the size of the category list."""
    monkeypatch.setattr(counts, "FOLD_AFTER", 50)
    with db.transaction() as session:
        for i in range(120):
            session.execute(
                insert(Item).values(
                    title=f"b{i}", category=f"Cat {i % 4}", category_key=f"cat {i % 4}",
                    published_at=DAY, origin="bench", fingerprint=f"b{i}",
                )
            )  # fmt: skip
    with db.reading() as session:
        assert categories.visible_count(session) == 120
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(CategoryDelta)) == 4
    with db.transaction() as session:  # a session that has written folds nothing on SQLite
        session.execute(update(Item).where(Item.title == "b0").values(retracted_at=DAY))
        assert categories.visible_count(session) == 119
    assert_counts_right(db)
