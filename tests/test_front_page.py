"""storage.featured.front_page (one statement for `latest`'s page and App Home's list)
gives exactly what `featured.current` then `store.latest_page(exclude_id=…)` give: the
same featured item and the same rows in the same order, for every category, offset and
count, with the featured item current, expired, retracted, or in another category."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from storage import featured, store
from storage.models import Featured, Item
from storage.types import utcnow
from tests.test_http_latest import make_items

FIELDS = ("id", "title", "url", "category", "summary", "published_at")


def as_tuple(item) -> tuple:
    return tuple(getattr(item, name) for name in FIELDS)


def two_queries(session, n, category, offset, now):
    pinned = featured.current(session, now, category=category)
    items, older = store.latest_page(
        session, n, category, offset, exclude_id=pinned.id if pinned else None
    )
    return (as_tuple(pinned) if pinned else None, [as_tuple(i) for i in items], older)


def one_query(session, n, category, offset, now):
    page = featured.front_page(session, n, category, offset, now)
    pinned = as_tuple(page.featured) if page.featured else None
    return (pinned, [as_tuple(i) for i in page.items], page.older)


@pytest.mark.parametrize("state", ["none", "current", "expired", "retracted"])
def test_one_statement_answers_as_the_two_reads(db, state):
    specs = [
        (f"Story {i}", i // 2, ("News", "news ", "Housing", None)[i % 4], f"Summary {i}",
         f"https://example.org/{i}")
        for i in range(23)
    ]  # fmt: skip
    ids = make_items(db, specs)
    now = utcnow()
    with db.transaction() as session:
        session.execute(update(Item).where(Item.id == ids[7]).values(retracted_at=now))
        if state != "none":
            chosen = session.get(Item, ids[4])  # "News", not the newest
            featured.feature(session, chosen, "UADMIN", now)
        if state == "expired":
            session.execute(update(Featured).values(featured_until=now - timedelta(seconds=1)))
        if state == "retracted":
            session.execute(update(Item).where(Item.id == ids[4]).values(retracted_at=now))
    with db.reading() as session:
        for category in (None, "news", "NEWS ", "Housing", "nothing", "  "):
            for n in (1, 5, 10, 20, 25):
                for offset in (0, 1, 5, 19, 40):
                    expected = two_queries(session, n, category, offset, now)
                    assert one_query(session, n, category, offset, now) == expected, (
                        category, n, offset)  # fmt: skip
        if state == "current":
            assert one_query(session, 5, None, 0, now)[0][0] == ids[4]
            assert one_query(session, 5, "Housing", 0, now)[0] is None


@pytest.mark.parametrize("pending", [0, 3, 25])
def test_app_home_lists_and_their_counts_in_one_read(db, pending):
    """App Home's one read (storage.home.home_reads) lists and counts what the one
    reader of each says (storage.suggestions, storage.scheduled), below, at and past
    the list's limit."""
    from datetime import date

    from storage import home, scheduled, suggestions
    from storage.models import ScheduledItem, Suggestion

    now = utcnow()
    with db.transaction() as session:
        for n in range(pending + 2):
            state = "pending" if n < pending else "approved"
            session.add(
                Suggestion(
                    suggested_by=f"U{n}",
                    title=f"S {n}",
                    published_at=now,
                    state=state,
                    created_at=now - timedelta(minutes=n % 7),
                )
            )
            session.add(
                ScheduledItem(
                    title=f"T {n}",
                    published_on=date(2026, 12, 1),
                    publish_at=now + timedelta(hours=n % 5),
                    created_by="UA",
                    state="pending" if n < pending else "cancelled",
                )
            )
    with db.reading() as session:
        for limit in (1, 5, 20):
            reads = home.home_reads(session, None, True, limit, limit, now=now)
            assert [r.id for r in reads.suggestions] == [
                r.id for r in suggestions.pending(session, limit)
            ]
            assert reads.pending_suggestions == suggestions.count_pending(session) == pending
            assert [r.id for r in reads.scheduled] == [
                r.id for r in scheduled.upcoming(session, limit)
            ]
            assert reads.pending_scheduled == scheduled.count_pending(session) == pending
