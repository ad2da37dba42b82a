"""Upgrading a store written by release d920d0e loses and repeats nothing (issue 9, point 4).

tests/fixtures/store_d920d0e/store.json holds every row of a store that release
wrote (two feeds followed and polled, the ILO listing imported, an admin item,
four items announced; see build.py there). It is loaded into a database migrated
to 0006, upgraded to head, then the same feeds are polled and the same listing
imported again: nothing is added and nothing is announced.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import Column, MetaData, Table, func, select, text, update

from sources.fetch import FetchOptions
from sources.importer import import_source
from sources.poller import poll_source
from storage import sources as source_store
from storage.db import Database, upgrade
from storage.models import Base, EntryKey, Item, ItemSource, Source
from storage.types import UTCDateTime, utcnow
from tests.announce_helpers import announcer
from tests.feed_server import FeedServer

FIXTURE = Path(__file__).parent / "fixtures" / "store_d920d0e"
ALLOW = FetchOptions(allow_private=True, timeout=5)


def load_release_store(url: str) -> dict:
    """Migrate to 0006 (the release's schema) and insert the release's rows."""
    upgrade(url, "0006")
    dump = json.loads((FIXTURE / "store.json").read_text())
    db = Database(url)
    with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            rows = dump["tables"].get(table.name)
            if not rows:
                continue
            for row in rows:
                for name, value in row.items():
                    if value is not None and isinstance(table.c[name].type, UTCDateTime):
                        row[name] = datetime.fromisoformat(value)
            # Only the release's columns, without today's Python-side defaults: columns
            # added by later migrations do not exist yet at 0006.
            names = set().union(*rows)
            at_release = Table(
                table.name, MetaData(), *(Column(c.name, c.type) for c in table.c if c.name in names)
            )
            session.execute(at_release.insert(), rows)
        if session.get_bind().dialect.name == "postgresql":
            for name in ("sources", "subscriptions", "items", "audit_log", "deliveries"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
                )
    db.dispose()
    return dump


def test_release_store_upgraded_then_polled_again_adds_and_announces_nothing(
    empty_database_url, fake
):
    url = empty_database_url
    dump = load_release_store(url)
    before = len(dump["tables"]["items"])
    upgrade(url)
    db = Database(url)
    server = FeedServer().start()
    try:
        old_base, new_base = dump["server"].rstrip("/"), server.url("/").rstrip("/")
        # The same feeds, reordered and re-served as new bytes: they are parsed again.
        for name in ("blog.xml", "federation.xml"):
            body = (FIXTURE / name).read_text()
            head, _, rest = body.partition("<item>")
            entries = ("<item>" + rest).split("</item>")[:-1]
            tail = body[body.rindex("</item>") + len("</item>") :]
            server.serve(f"/{name}", head + "</item>".join(reversed(entries)) + "</item>" + tail)
        with db.transaction() as session:
            for source in session.scalars(select(Source)):
                source.url = source.url.replace(old_base, new_base)
                source.feed_url = source.feed_url.replace(old_base, new_base)
                source.etag = source.last_modified = source.body_hash = None
            session.execute(update(Source).values(next_poll_at=utcnow()))
            source_ids = list(session.scalars(select(Source.id)))
        for source_id in source_ids:
            outcome = poll_source(db, source_id, ALLOW)
            assert (outcome.status, outcome.added, outcome.corrected) == ("new", 0, [])
            assert outcome.already_present > 0
        assert import_source(db, str(FIXTURE / "listing.txt")).added == 0
        report = announcer(url, fake, db).run_pass()
        assert fake.calls_to("chat.postMessage") == [], report.line()
        with db.reading() as session:
            assert session.scalar(select(func.count()).select_from(Item)) == before
            assert session.scalar(select(func.count()).select_from(EntryKey)) > 0
            per_source = {r.source.title: r.item_count for r in source_store.list_sources(session)}
            assert per_source == {"Co-op blog": 12, "Federation": 5}
            assert session.scalar(select(func.count()).select_from(ItemSource)) == 17
            # Old items keep their ids, so deliveries and announcements stay theirs.
            ids = set(session.scalars(select(Item.id)))
        assert ids == {row["id"] for row in dump["tables"]["items"]}
    finally:
        server.stop()
        db.dispose()


def test_0007_downgrades_and_upgrades_again_keeping_search_triggers(empty_database_url):
    from alembic import command

    from storage.db import alembic_config, make_engine

    url = empty_database_url
    load_release_store(url)
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            config = alembic_config(url)
            config.attributes["connection"] = conn
            command.downgrade(config, "0006")
            conn.commit()
            columns = list(conn.execute(text("SELECT * FROM items LIMIT 0")).keys())
            assert "link_key" not in columns and "title_key" not in columns
            if conn.dialect.name == "sqlite":
                triggers = conn.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                ).scalars()
                assert set(triggers) == {"items_fts_insert", "items_fts_delete", "items_fts_update"}
    finally:
        engine.dispose()
    upgrade(url)
    db = Database(url)
    try:
        with db.reading() as session:
            assert session.scalar(select(func.count()).select_from(ItemSource)) == 17
    finally:
        db.dispose()
