"""storage.home.home_reads (App Home's per-person parts and the data revision in one
statement) says exactly what the separate reads say: storage.revision.current,
list_subscriptions (all of them for the count), list_follows, list_sources,
storage.suggestions' and storage.scheduled's pending lists and counts; every column of every row, in the same
order, each count taken before its list's limit, for members and admins, below, at
and past each limit, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import inspect, select

from storage import home, revision, scheduled, suggestions
from storage.categories import spellings
from storage.follows import list_follows
from storage.models import (
    Featured,
    Follow,
    ItemSource,
    ScheduledItem,
    Source,
    Subscription,
    Suggestion,
)
from storage.sources import list_sources
from storage.subscriptions import list_subscriptions, listed
from storage.types import utcnow
from tests.test_http_latest import make_items


def columns(row, model=None) -> dict:
    """Every mapped column of an ORM row (or of a row read as `model`), by attribute name,
    and every Python property of the model (ScheduledItem.published_at: blocks read it)."""
    model = model or type(row)
    attrs = [attr.key for attr in inspect(model).column_attrs]
    attrs += [name for name in dir(model) if isinstance(getattr(model, name, None), property)]
    return {name: getattr(row, name) for name in attrs}


def fill(db, n: int) -> None:
    """`n` of each thing App Home lists (two more of what is filtered out), with ties in
    the sort keys, categories to spell, failing sources and sources with items."""
    now = utcnow()
    ids = make_items(
        db,
        [(f"Story {k}", k, ["News", "COOP Champions"][k % 2], None, None) for k in range(6)],
    )
    with db.transaction() as session:
        for k in range(n):
            session.add(
                Subscription(
                    channel_id=f"C{k:03d}",
                    categories=["coop champions", None, "news\ncoop champions"][k % 3],
                    after_item_id=0,
                    mode=["instant", "daily", "weekly"][k % 3],
                    created_at=now - timedelta(minutes=k % 4),
                    paused_at=now if k % 5 == 0 else None,
                    problem="gone" if k % 5 == 0 else None,
                    matching="coop" if k % 2 else None,
                    previews=bool(k % 2),
                )
            )
            session.add(
                Source(
                    url=f"https://s{k}.example/feed",
                    title=["B", "A", None][k % 3],
                    interval_seconds=1800,
                    failures=k % 3,
                    last_error="HTTP 500" if k % 3 else None,
                    last_success_at=now if k % 2 else None,
                )
            )
        for k in range(n + 2):
            session.add(Follow(user_id="UME" if k < n else "UOTHER", keywords=f"word{k}",
                               category_key="news" if k % 2 else None))  # fmt: skip
            session.add(
                Suggestion(
                    suggested_by=f"U{k}",
                    title=f"S {k}",
                    published_at=now,
                    state="pending" if k < n else "approved",
                    created_at=now - timedelta(minutes=k % 7),
                )
            )
            session.add(
                ScheduledItem(
                    title=f"T {k}",
                    published_on=date(2026, 12, 1),
                    publish_at=now + timedelta(hours=k % 5),
                    created_by="UA",
                    state="pending" if k < n else "cancelled",
                )
            )
        session.flush()
        first = session.scalars(select(Source).order_by(Source.id).limit(1)).first()
        if first is not None:
            session.add_all([ItemSource(item_id=i, source_id=first.id) for i in ids[:3]])
        session.merge(
            Featured(id=1, item_id=ids[0], featured_by="UA", featured_until=now + timedelta(days=1))
        )


@pytest.mark.parametrize("n", [0, 3, 25])
@pytest.mark.parametrize("admin", [False, True])
def test_one_statement_answers_as_the_separate_reads(db, n, admin):
    fill(db, n)
    with db.reading() as session:
        now = utcnow()
        for limit in (1, 5, 20):
            reads = home.home_reads(session, "UME", admin, limit, limit, limit, now=now)
            assert reads.revision == revision.current(session, now)
            known = spellings(session)
            assert [listed(s, known) for s in reads.subscriptions] == list_subscriptions(
                session, limit
            )
            assert reads.subscription_count == len(list_subscriptions(session)) == n
            assert [columns(r, Follow) for r in reads.follows] == list(
                map(columns, list_follows(session, "UME"))
            )
            if not admin:
                assert reads.sources == reads.suggestions == reads.scheduled == []
                assert reads.pending_suggestions == reads.pending_scheduled == 0
                continue
            every = list_sources(session)
            assert [(columns(r.source, Source), r.item_count) for r in reads.sources] == [
                (columns(r.source), r.item_count) for r in every
            ]
            assert home.health(reads.sources, limit) == home.health(every, limit)
            rows = suggestions.pending(session, limit)
            assert [columns(r, Suggestion) for r in reads.suggestions] == list(map(columns, rows))
            assert reads.pending_suggestions == suggestions.count_pending(session) == n
            rows = scheduled.upcoming(session, limit)
            assert [columns(r, ScheduledItem) for r in reads.scheduled] == list(map(columns, rows))
            assert reads.pending_scheduled == scheduled.count_pending(session) == n
        if n:
            assert any(r.item_count == 3 for r in reads.sources) == admin


def test_without_a_person_no_follows_are_read(db):
    fill(db, 3)
    with db.reading() as session:
        assert home.home_reads(session, None, False, 5, 5).follows == []
