"""Paging through matches read newest first from the index, across both groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from domain.items import ItemDraft, fingerprint
from storage import search
from storage.entries import add_items
from storage.models import Item

BASE = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def archive(db):
    """60 items; every 3rd has "coop" in the title, the others in the summary; some retracted."""
    drafts = []
    for n in range(60):
        in_title = n % 3 == 0
        drafts.append(
            ItemDraft(
                title=f"Coop story {n}" if in_title else f"Story {n}",
                summary="plain" if in_title else f"about a coop, number {n}",
                published_at=BASE - timedelta(days=n),
                origin="test",
                fingerprint=fingerprint(str(n)),
            )
        )
    with db.transaction() as session:
        ids = add_items(session, drafts).added
        retracted = [ids[n] for n in (3, 4, 30)]
        session.execute(update(Item).where(Item.id.in_(retracted)).values(retracted_at=BASE))
    return db


def expected_order() -> list[str]:
    visible = [n for n in range(60) if n not in (3, 4, 30)]
    title = [f"Coop story {n}" for n in visible if n % 3 == 0]
    summary = [f"Story {n}" for n in visible if n % 3 != 0]
    return title + summary


def all_pages(db, size: int) -> list[str]:
    titles, offset = [], 0
    while True:
        with db.reading() as session:
            page = search.search(session, search.parse_query("coop"), size, offset)
        titles.extend(i.title for i in page.items)
        offset += size
        if not page.has_more:
            return titles


@pytest.mark.parametrize("dense", [1, 10**6], ids=["walk-date-index", "sort-matches"])
@pytest.mark.parametrize("size", [1, 7, 10, 19, 20, 25, 60])
def test_every_page_size_gives_the_same_order(archive, monkeypatch, size, dense):
    # PostgreSQL picks its plan by how many items match; both plans must agree.
    monkeypatch.setattr(search, "DENSE_MATCHES", dense)
    assert all_pages(archive, size) == expected_order()


def test_the_index_follows_retraction_and_new_dates(archive):
    with archive.transaction() as session:
        # Un-retract item 3, move item 59 (oldest) to the front.
        session.execute(update(Item).where(Item.title == "Coop story 3").values(retracted_at=None))
        session.execute(
            update(Item)
            .where(Item.title == "Story 59")
            .values(published_at=BASE + timedelta(days=1))
        )
    order = all_pages(archive, 10)
    assert order[:2] == ["Coop story 0", "Coop story 3"]
    assert order[order.index("Story 1") - 1] == "Story 59"
    assert len(order) == 58


def test_an_offset_past_the_end_is_an_empty_page(archive):
    with archive.reading() as session:
        page = search.search(session, search.parse_query("coop"), 10, 10_000)
    assert page.items == [] and not page.has_more
