"""storage.curation against the real database (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from domain.items import ItemDraft, fingerprint
from storage import categories, curation, deliveries
from storage.curation import DuplicateItem, ItemFields
from storage.db import alembic_config, current_revision, make_engine, upgrade
from storage.entries import add_items
from storage.models import AuditEntry, Base, Delivery, Item
from storage.store import latest

DAY = date(2026, 11, 20)


def fields(title="Title", url=None, category="News", day=DAY, summary=None) -> ItemFields:
    return ItemFields(title, url, category, day, summary)


def imported(db, title, day=DAY, url=None, category="News") -> int:
    draft = ItemDraft(
        title=title,
        published_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
        origin="ilo",
        fingerprint=fingerprint("ilo", title, day.isoformat()),
        url=url,
        category=category,
    )
    with db.transaction() as session:
        return add_items(session, [draft]).added[0]


def test_the_audit_log_model_matches_its_migration(db):
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        indexes = {i["name"] for i in inspect(conn).get_indexes("audit_log")}
        item_indexes = {i["name"] for i in inspect(conn).get_indexes("items")}
    # Autogenerate cannot compare DESC (expression) indexes: check those by name.
    table_diffs = [d for d in diffs if "audit_log" in repr(d) and "_index" not in d[0]]
    assert table_diffs == []
    assert indexes == {"ix_audit_log_recent", "ix_audit_log_item_id"}
    assert "ix_items_url" in item_indexes


def test_the_migration_downgrades_and_upgrades_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'round.db'}"

    def tables_and_url_index() -> tuple[bool, bool]:
        engine = make_engine(url)
        try:
            found = inspect(engine)
            names = {i["name"] for i in found.get_indexes("items")}
            return "audit_log" in found.get_table_names(), "ix_items_url" in names
        finally:
            engine.dispose()

    upgrade(url)
    assert tables_and_url_index() == (True, True)
    command.downgrade(alembic_config(url), "0001")
    assert current_revision(url) == "0001"
    assert tables_and_url_index() == (False, False)
    upgrade(url)
    assert tables_and_url_index() == (True, True)


def test_add_item_stamps_the_day_records_the_audit_and_fingerprints_the_link(db):
    with db.transaction() as session:
        item = curation.add_item(session, fields(url="https://e.org/a"), "UADMIN")
    assert item.published_at.date() == DAY and item.published_at.tzinfo is not None
    assert item.fingerprint == fingerprint("link", "https://e.org/a")
    assert (item.origin, item.created_by, item.category_key) == ("admin", "UADMIN", "news")
    with db.reading() as session:
        (entry,) = session.scalars(select(AuditEntry)).all()
        assert (entry.user_id, entry.action, entry.item_id, entry.item_title) == (
            "UADMIN",
            "added",
            item.id,
            "Title",
        )


def test_duplicates_include_retracted_items_and_are_not_stored(db):
    first = imported(db, "Co-ops grow", url="https://e.org/x")
    with db.transaction() as session:
        curation.retract_item(session, session.get(Item, first), "UADMIN")
    with pytest.raises(DuplicateItem) as raised, db.transaction() as session:
        curation.add_item(session, fields(title="New", url="https://e.org/x"), "UADMIN")
    assert raised.value.field == "link" and raised.value.existing.retracted
    with pytest.raises(DuplicateItem) as raised, db.transaction() as session:
        curation.add_item(session, fields(title="co-ops GROW!"), "UADMIN")
    assert raised.value.field == "title" and raised.value.existing.id == first
    # A different day is a different item.
    with db.transaction() as session:
        curation.add_item(session, fields(title="Co-ops grow", day=DAY + timedelta(1)), "U1")
    with db.reading() as session:
        assert len(session.scalars(select(Item)).all()) == 2
        assert len(session.scalars(select(AuditEntry)).all()) == 2  # retract + the add


def test_a_fingerprint_collision_is_a_duplicate_and_nothing_is_stored(db):
    with db.transaction() as session:
        edited = curation.add_item(session, fields(url="https://e.org/old"), "UADMIN")
        # Its link is corrected; the fingerprint (identity) stays with the old link.
        curation.update_item(session, edited, fields(url="https://e.org/new"), "UADMIN")
    with pytest.raises(DuplicateItem) as raised, db.transaction() as session:
        curation.add_item(session, fields(title="Other", url="https://e.org/old"), "UADMIN")
    assert raised.value.existing is None
    with db.reading() as session:
        assert len(session.scalars(select(Item)).all()) == 1


def test_update_reports_changed_fields_and_keeps_the_time_of_a_kept_day(db):
    item_id = imported(db, "Old", category="News")
    with db.transaction() as session:
        item = session.get(Item, item_id)
        before = item.published_at
        assert curation.update_item(session, item, fields(title="Old"), "U1") == []
        changed = curation.update_item(
            session, item, fields(title="New", category="Housing", summary="S"), "U1"
        )
        assert changed == ["title", "category", "summary"]
        assert item.published_at == before and item.category_key == "housing"
        assert curation.update_item(
            session,
            item,
            fields(title="New", category="Housing", summary="S", day=DAY - timedelta(3)),
            "U1",
        ) == ["date"]
    with db.reading() as session:
        details = [e.details for e in curation.recent_changes(session)]
    assert details == ["date", "title, category, summary"]


def test_retract_hides_once_and_keeps_the_item(db):
    item_id = imported(db, "Wrong")
    with db.transaction() as session:
        item = session.get(Item, item_id)
        assert curation.retract_item(session, item, "U1") is True
        assert curation.retract_item(session, item, "U1") is False
    with db.reading() as session:
        assert latest(session) == []
        assert session.get(Item, item_id) is not None
        assert curation.visible_item(session, item_id) is None


def test_category_names_come_from_visible_items_one_spelling_each(db):
    imported(db, "a", category="news", day=DAY - timedelta(1))
    imported(db, "b", category="News")  # the newest spelling wins
    imported(db, "c", category="Housing")
    gone = imported(db, "d", category="Secret")
    imported(db, "e", category=None)
    with db.transaction() as session:
        curation.retract_item(session, session.get(Item, gone), "U1")
    with db.reading() as session:
        assert categories.names(session) == ["Housing", "News"]
        # Over the limit: the first by name.
        assert categories.names(session, limit=1) == ["Housing"]


def test_posted_messages_and_digest_items(db):
    a, b, c = (imported(db, t) for t in ("A", "B", "C"))
    now = datetime.now(UTC)
    with db.transaction() as session:
        session.add_all(
            [
                Delivery(
                    item_id=b,
                    channel_id="C1",
                    state="posted",
                    message_ts="1.1",
                    digest=True,
                    posted_at=now,
                ),
                Delivery(
                    item_id=a,
                    channel_id="C1",
                    state="posted",
                    message_ts="1.1",
                    digest=True,
                    posted_at=now,
                ),
                Delivery(
                    item_id=c,
                    channel_id="C1",
                    state="posted",
                    message_ts="1.1",
                    digest=True,
                    posted_at=now,
                ),
                Delivery(
                    item_id=a, channel_id="C2", state="posted", message_ts="2.1", posted_at=now
                ),
                Delivery(item_id=a, channel_id="C3", state="pending"),
                Delivery(item_id=a, channel_id="C4", state="failed", message_ts=None),
            ]
        )
    with db.transaction() as session:
        curation.retract_item(session, session.get(Item, c), "U1")
    with db.reading() as session:
        found = deliveries.posted_messages(session, a)
        assert [(p.channel_id, p.message_ts, p.digest) for p in found] == [
            ("C1", "1.1", True),
            ("C2", "2.1", False),
        ]
        # As the announcer orders a digest (by item id), retracted items left out.
        assert [i.title for i in deliveries.digest_items(session, "C1", "1.1")] == ["A", "B"]
