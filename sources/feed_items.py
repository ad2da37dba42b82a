"""Feed entries -> item drafts, each with its key within the feed.

An entry's key is its guid as written (trimmed only: fragment, case and query
count), else its link as written, else its title (or, title-less, its text)
and date as written. Keys are never derived from the rest of the window: what
the store does with them (entries sharing a key, the same story under another
key or from another feed) is storage/entries.py's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.items import ItemDraft
from domain.text import shorten
from sources.feeds import FeedEntry, ParsedFeed

TITLE_LIMIT = 300
TITLE_FROM_SUMMARY = 80
SUMMARY_LIMIT = 1000
CATEGORY_LIMIT = 200
# A date further ahead than this is a broken clock, not news from the future.
FUTURE_SLACK = timedelta(days=1)


@dataclass
class FeedDrafts:
    drafts: list[ItemDraft] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0


def entry_key(entry: FeedEntry) -> tuple[str, str]:
    """(key, kind): kind "guid", "link" or "content" (see the module docstring)."""
    if entry.guid and entry.guid.strip():
        return entry.guid.strip(), "guid"
    if entry.link and entry.link.strip():
        return entry.link.strip(), "link"
    return f"{entry.title or entry.summary[:500]}\x1f{_entry_date(entry) or ''}", "content"


def _entry_date(entry: FeedEntry) -> str | None:
    return entry.date_text or (entry.published.isoformat() if entry.published else None)


def feed_drafts(
    feed: ParsedFeed,
    category: str | None = None,
    now: datetime | None = None,
    first_position: int = 1,
) -> FeedDrafts:
    """Drafts for every usable entry; `category` (the source's) wins over entries' tags.
    `first_position`: the first entry's number in warnings (a chunk of a longer feed)."""
    now = now or datetime.now(UTC)
    result = FeedDrafts()
    for position, entry in enumerate(feed.entries, start=first_position):
        title = _title(entry)
        key, kind = entry_key(entry)
        if not title:
            result.skipped += 1
            result.warnings.append(f"entry {position}: no title, text or link, skipped")
            continue
        published = _published(entry, now, position, result.warnings)
        entry_category = category or (entry.tags[0] if entry.tags else None)
        result.drafts.append(
            ItemDraft(
                title=title,
                published_at=published,
                origin="feed",
                url=entry.link,
                category=shorten(entry_category, CATEGORY_LIMIT) if entry_category else None,
                summary=shorten(entry.summary, SUMMARY_LIMIT) or None,
                key=key,
                key_kind=kind,
                entry_date=_entry_date(entry),
            )
        )
    return result


def _title(entry: FeedEntry) -> str:
    if entry.title:
        return shorten(entry.title, TITLE_LIMIT)
    # Title-less entries (common on microblogs): the first words of the text.
    if entry.summary:
        return shorten(entry.summary, TITLE_FROM_SUMMARY)
    return entry.link or ""


def _published(entry: FeedEntry, now: datetime, position: int, warnings: list[str]) -> datetime:
    """Published, else updated, else first seen; an unreadable date is reported, not hidden."""
    if entry.published is None:
        if entry.date_text:
            warnings.append(
                f"entry {position}: date {entry.date_text!r} not understood, dated when first seen"
            )
        return now
    if entry.published > now + FUTURE_SLACK:
        warnings.append(
            f"entry {position}: date {entry.date_text!r} is in the future, dated when first seen"
        )
        return now
    return entry.published
