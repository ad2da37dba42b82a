"""Feed entries -> item drafts, with a stable identity per entry.

Identity (the items' fingerprint), first that applies:
1. the entry's guid, when no other entry of the feed has the same one;
2. its link, when no other entry of the feed has the same one;
3. a hash of its title and date (as written).
URL-like guids and links are compared without scheme, so a feed switching
from http to https does not re-import everything; dates are never part of
identity 1 or 2, so a re-dated entry is not imported again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sources.feeds import FeedEntry, ParsedFeed
from sources.text import shorten
from storage.store import ItemDraft, fingerprint
from storage.types import utcnow

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


def normalise_link(url: str) -> str:
    """A URL without its scheme, default port, fragment and trailing slash; host lower-cased."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    return f"//{host}{path}" + (f"?{parts.query}" if parts.query else "")


def _is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def _digest(value: str) -> str:
    # Hex survives store.fingerprint's text normalisation exactly (URLs would not).
    return hashlib.sha256(value.encode()).hexdigest()


def link_fingerprint(url: str) -> str:
    return fingerprint("feed-url", _digest(normalise_link(url)))


def entry_fingerprints(feed: ParsedFeed) -> list[str]:
    """One identity per entry, in order (see the module docstring)."""
    scope = normalise_link(feed.link) if feed.link else (feed.title or "")
    guids = Counter(e.guid for e in feed.entries if e.guid)
    links = Counter(normalise_link(e.link) for e in feed.entries if e.link)
    out = []
    for entry in feed.entries:
        if entry.guid and guids[entry.guid] == 1:
            if _is_url(entry.guid):
                out.append(link_fingerprint(entry.guid))
            else:
                out.append(fingerprint("feed-guid", _digest(scope), _digest(entry.guid)))
        elif entry.link and links[normalise_link(entry.link)] == 1:
            out.append(link_fingerprint(entry.link))
        else:
            date = entry.date_text or (entry.published.isoformat() if entry.published else "")
            out.append(
                fingerprint(
                    "feed-entry", _digest(scope), entry.title, date, _digest(entry.summary[:500])
                )
            )
    return out


def feed_drafts(
    feed: ParsedFeed, category: str | None = None, now: datetime | None = None
) -> FeedDrafts:
    """Drafts for every usable entry; `category` (the source's) wins over entries' tags."""
    now = now or utcnow()
    result = FeedDrafts()
    for position, (entry, identity) in enumerate(
        zip(feed.entries, entry_fingerprints(feed), strict=True), start=1
    ):
        title = _title(entry)
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
                fingerprint=identity,
                url=entry.link,
                category=shorten(entry_category, CATEGORY_LIMIT) if entry_category else None,
                summary=shorten(entry.summary, SUMMARY_LIMIT) or None,
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
