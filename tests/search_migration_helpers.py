"""What the search-table migration tests (0022, 0024) share: items written through
coopnews's own path, searches read as a user gets them, and whether the table's pages
are all-visible after `storage.db.upgrade` (its VACUUM_AFTER)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from domain.items import ItemDraft, fingerprint
from storage import search
from storage.db import Database
from storage.entries import add_items


def insert_items(
    db: Database, titles: list[str], start: int, *, base: datetime, summary: str, tag: str
) -> None:
    """One item per title, a day apart going back from `base` (`start` days back first);
    fingerprints `tag-N`, so calls with other `start`s never collide."""
    drafts = [
        ItemDraft(
            title=title,
            summary=summary,
            published_at=base - timedelta(days=start + n),
            origin="test",
            fingerprint=fingerprint(f"{tag}-{start + n}"),
        )
        for n, title in enumerate(titles)
    ]
    with db.transaction() as session:
        add_items(session, drafts)


def found(db: Database, words: str) -> list[str]:
    """The titles of search's first page for `words`, in order."""
    with db.reading() as session:
        return [i.title for i in search.search(session, search.parse_query(words), 10).items]


def search_pages_all_visible(db: Database) -> int:
    """items_search's pages marked all-visible (pg_class.relallvisible; PostgreSQL)."""
    with db.reading() as session:
        return session.scalar(
            text("SELECT relallvisible FROM pg_class WHERE relname = 'items_search'")
        )
