"""The Procfile's worker process polls due sources on its own."""

from __future__ import annotations

import time

from sqlalchemy import select, update

from sources.fetch import FetchOptions
from sources.poller import subscribe
from storage.models import Item, Source
from tests import feed_samples as samples
from tests.conftest import RunningProcess, app_environment, procfile_command


def test_worker_polls_due_sources_and_announces_only_new_items(
    db, fake, database_url, feed_server, tmp_path
):
    feed_server.serve("/feed.xml", samples.simple_rss(2))
    sid = subscribe(db, feed_server.url("/feed.xml"), FetchOptions(allow_private=True)).source.id
    feed_server.serve("/feed.xml", samples.simple_rss(3))
    with db.transaction() as session:
        session.execute(update(Source).where(Source.id == sid).values(next_poll_at=None))
    env = app_environment(database_url, fake, COOPNEWS_ALLOW_PRIVATE_SOURCES="1")
    worker = RunningProcess(procfile_command("worker"), env, tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 30
        rows = []
        while time.monotonic() < deadline and len(rows) < 3:
            time.sleep(0.2)
            with db.reading() as session:
                rows = session.execute(select(Item.title, Item.announce).order_by(Item.id)).all()
        assert [tuple(r) for r in rows] == [
            ("Story 0", False),
            ("Story 1", False),
            ("Story 2", True),
        ], worker.log()
    finally:
        worker.stop()
