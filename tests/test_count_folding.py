"""Count deltas after bulk imports (issue 16): a streamed import leaves one row per
group, a fold of a bulk load written around add_items leaves PostgreSQL's table small
(storage/counts.compact) without ever waiting for a writer, and counts stay right
through imports racing each other and admins' edits. SQLite and PostgreSQL
(TEST_DATABASE_URL); chunks made tiny so a few dozen entries cross many of them."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text, update

from sources.importer import import_listing_lines
from storage import bulk, categories, counts, entries
from storage.curation import ItemFields, retract_item, update_item
from storage.models import CategoryDelta, Item
from tests.test_bulk_import import listing
from tests.test_category_counts import DAY, assert_counts_right

SPELLINGS = ["News", "news", "Housing", "Finance"]


def rows(first: int, last: int) -> list[tuple[str, str, date]]:
    return [
        (SPELLINGS[i % 4], f"Story {i} of the co-ops", date(2026, 11, 1 + i % 20))
        for i in range(first, last)
    ]


def lines(first: int, last: int) -> list[str]:
    return listing(rows(first, last)).split("\n")


@pytest.fixture
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(entries, "STREAM_CHUNK", 4)
    monkeypatch.setattr(bulk, "BULK_ROWS", 2)


def delta_rows(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(CategoryDelta))


def test_a_streamed_import_leaves_one_count_row_per_group_and_edits_stay_right(db, tiny_chunks):
    summary = import_listing_lines(db, lines(0, 30), "first")
    assert summary.added == 30
    # Groups are (key, spelling): "News" and "news" are one category, two rows.
    assert delta_rows(db) == 4
    listed = assert_counts_right(db)
    assert [(c.name, c.count) for c in listed.counted][0][1] == 16
    with db.transaction() as session:
        first, second, third = session.scalars(select(Item).order_by(Item.id).limit(3)).all()
        fields = ItemFields(first.title, None, "Art", first.published_at.date(), None)
        update_item(session, first, fields, "UADMIN")  # re-categorised
        retract_item(session, second, "UADMIN")
        session.execute(update(Item).where(Item.id == third.id).values(category=None,
                                                                       category_key=None))  # fmt: skip
    assert assert_counts_right(db).total == 29
    again = import_listing_lines(db, lines(0, 34), "first")  # 30 known, 4 new
    assert (again.added, again.already_present) == (4, 30)
    assert assert_counts_right(db).total == 33
    assert delta_rows(db) <= 6  # the groups with a positive sum, folded


def test_a_fold_of_a_bulk_load_compacts_the_table_on_postgresql(db, monkeypatch):
    """Deltas written around add_items (a raw load) are folded by the next read; on
    PostgreSQL the table is then rewritten, so reads do not scan the dead rows."""
    monkeypatch.setattr(counts, "COMPACT_BYTES", 64 * 1024)
    with db.transaction() as session:
        for n in range(4):
            session.execute(
                text(
                    "INSERT INTO items (title, category, category_key, published_at, origin,"
                    " fingerprint, created_at, updated_at, announce)"
                    " VALUES (:t, :c, :k, :p, 'bench', :t, :p, :p, true)"
                ),
                [
                    {"t": f"b{n}-{i}", "c": f"Cat {i % 5}", "k": f"cat {i % 5}", "p": DAY}
                    for i in range(1500)
                ],
            )
    assert delta_rows(db) == 6000
    listed = assert_counts_right(db)  # this read folds, in a transaction of its own
    assert listed.total == 6000 and delta_rows(db) == 5
    if db.engine.dialect.name == "postgresql":
        with db.reading() as session:
            size = session.scalar(text("SELECT pg_relation_size('category_counts')"))
        assert size < counts.COMPACT_BYTES
    assert assert_counts_right(db) == listed


def test_compacting_never_waits_for_a_transaction_writing_deltas(db, monkeypatch):
    monkeypatch.setattr(counts, "FOLD_AFTER", 50)
    monkeypatch.setattr(counts, "COMPACT_BYTES", 1)
    with db.transaction() as session:
        session.execute(
            text(
                "INSERT INTO items (title, category, category_key, published_at, origin,"
                " fingerprint, created_at, updated_at, announce)"
                " VALUES (:t, 'News', 'news', :p, 'bench', :t, :p, :p, true)"
            ),
            [{"t": f"w{i}", "p": DAY} for i in range(120)],
        )
    if db.engine.dialect.name == "sqlite":  # one writer at a time: nothing to race
        assert assert_counts_right(db).total == 120
        return
    writer = db.engine.connect()
    try:
        open_transaction = writer.begin()
        writer.execute(  # holds a lock on category_counts until it ends (its trigger)
            text(
                "INSERT INTO items (title, category, category_key, published_at, origin,"
                " fingerprint, created_at, updated_at, announce)"
                " VALUES ('late', 'Art', 'art', :p, 'bench', 'late', :p, :p, true)"
            ),
            {"p": DAY},
        )
        # Folds, then finds the table locked: left as it is, at once.
        assert assert_counts_right(db).total == 120
        assert delta_rows(db) == 1
        open_transaction.commit()
    finally:
        writer.close()
    assert assert_counts_right(db).total == 121


def test_imports_racing_each_other_and_edits_keep_counts_right(db, tiny_chunks):
    """Two streamed imports of overlapping listings (the same stories: one item each)
    and an admin's edits, at once: every count is right after they end."""
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def importer(first: int, last: int, where: str) -> None:
        try:
            start.wait()
            import_listing_lines(db, lines(first, last), where)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    import_listing_lines(db, lines(0, 6), "seed")

    def editor() -> None:
        try:
            start.wait()
            for round_ in range(6):
                with db.transaction() as session:
                    item = session.scalars(select(Item).order_by(Item.id).offset(round_)).first()
                    if round_ % 2:
                        retract_item(session, item, "UADMIN")
                    else:
                        fields = ItemFields(item.title, None, f"Moved {round_}",
                                            item.published_at.date(), None)  # fmt: skip
                        update_item(session, item, fields, "UADMIN")
                    categories.fold(session, force=True)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [
        threading.Thread(target=importer, args=(0, 40, "a")),
        threading.Thread(target=importer, args=(20, 60, "b")),
        threading.Thread(target=editor),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if db.engine.dialect.name == "sqlite":  # one writer at a time: a busy database may refuse
        errors = [e for e in errors if "locked" not in str(e)]
    assert errors == []
    listed = assert_counts_right(db)
    if db.engine.dialect.name == "postgresql":  # every transaction went through
        assert listed.total == 60 - 3  # three retracted
