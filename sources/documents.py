"""A fetched or read document -> item drafts: RSS/Atom feeds, ILO listing text, or a page's feed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from domain.items import ItemDraft, fingerprint
from domain.text import remove_control_characters
from sources import ilo
from sources.discover import feed_links
from sources.feed_items import feed_drafts
from sources.feeds import NotAFeed, looks_like_html, parse_feed
from sources.fetch import FetchOptions, FetchResult, fetch
from sources.text import decode_utf8_leniently


class UnreadableSource(ValueError):
    """Neither a feed nor a listing (nor a page linking to a feed); the message is for people."""


@dataclass
class Document:
    kind: str  # "rss", "atom" or "ilo"
    title: str | None
    drafts: list[ItemDraft] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0
    # A parse error after which only what parsed cleanly was kept.
    problem: str | None = None


@dataclass
class Loaded:
    """One poll's outcome: the document, or None when the source did not change."""

    url: str  # the URL actually read: after discovery and redirects
    fetched: FetchResult
    body_hash: str | None
    document: Document | None


def listing_draft(entry: ilo.ListingEntry, category: str | None = None) -> ItemDraft:
    return ItemDraft(
        title=entry.title,
        published_at=ilo.published_datetime(entry.published),
        origin="ilo",
        # The listing has no IDs and positions shift: its key is the title and date
        # (kind "content"); the store also finds it by normalised title and day.
        fingerprint=fingerprint("ilo", entry.title, entry.published.isoformat()),
        category=category or entry.category,
        summary=entry.summary,
        key=f"{entry.title}\x1f{entry.published.isoformat()}",
        entry_date=entry.published.isoformat(),
    )


def listing_drafts(parsed: ilo.ParsedListing, category: str | None = None) -> list[ItemDraft]:
    return [listing_draft(entry, category) for entry in parsed.entries]


def listing_document(listing: ilo.ParsedListing, category: str | None = None) -> Document:
    return Document(
        kind="ilo",
        title=None,
        drafts=listing_drafts(listing, category),
        warnings=listing.warnings,
        skipped=listing.skipped,
    )


def is_markup(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf\xfe\xff\x00 \t\r\n").startswith((b"<", b"\x00<", b"<\x00"))


def read_document(
    data: bytes,
    url: str | None = None,
    content_type: str = "",
    category: str | None = None,
    now: datetime | None = None,
) -> Document:
    """Markup is read as a feed; text as an ILO listing. Raises NotAFeed or FeedRejected."""
    if is_markup(data):
        feed = parse_feed(data, url, content_type)
        drafts = feed_drafts(feed, category, now)
        return Document(
            kind=feed.kind,
            title=feed.title,
            drafts=drafts.drafts,
            warnings=drafts.warnings,
            skipped=drafts.skipped,
            problem=feed.problem,
        )
    # Listings declare no charset: UTF-8, with stray bytes read as Windows-1252.
    text = remove_control_characters(decode_utf8_leniently(data.removeprefix(b"\xef\xbb\xbf")))
    try:
        listing = ilo.parse_listing(text)
    except ilo.NotAListing as exc:
        raise NotAFeed("this is neither an RSS/Atom feed nor an ILO news listing") from exc
    return listing_document(listing, category)


def load_url(
    url: str,
    options: FetchOptions,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    known_body_hash: str | None = None,
    category: str | None = None,
    discover: bool = True,
) -> Loaded:
    """Fetch and read a source; a page is followed to the feed it links to.

    Raises FetchError, UnreadableSource or FeedRejected (not caught here: it must not
    be retried as a page).
    """
    fetched = fetch(url, options, etag=etag, last_modified=last_modified)
    if fetched.not_modified:
        return Loaded(url, fetched, known_body_hash, None)
    body_hash = hashlib.sha256(fetched.body).hexdigest()
    if known_body_hash and body_hash == known_body_hash:
        return Loaded(url, fetched, body_hash, None)  # a 200 with the same bytes: nothing new
    try:
        # The whole header: its charset tells feedparser the encoding.
        content_type = fetched.headers.get("content-type", "")
        document = read_document(fetched.body, fetched.url, content_type, category)
    except NotAFeed as exc:
        if not discover or not (exc.is_html or looks_like_html(fetched.body)):
            raise UnreadableSource(str(exc)) from exc
        links = feed_links(fetched.body, fetched.url)
        if not links:
            raise UnreadableSource(
                "this web page does not link to an RSS or Atom feed "
                '(no <link rel="alternate" type="application/rss+xml">)'
            ) from exc
        return load_url(links[0], options, category=category, discover=False)
    return Loaded(url, fetched, body_hash, document)
