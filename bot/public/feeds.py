"""The public feeds as documents: Atom 1.0 (RFC 4287) and JSON Feed 1.1. Pure functions.

Item text is data: the Atom document is built with ElementTree (which escapes
`&`, `<`, `>` and quotes) and every text is `type="text"`, so a title like
`<script>` is shown as written, never run; JSON Feed items carry
`content_text`, never `content_html`. Characters XML 1.0 forbids (most C0
controls, lone surrogates, U+FFFE/U+FFFF) are dropped from both, so the
documents always parse.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote, urlencode, urlsplit
from xml.etree import ElementTree

from bot.blocks.text import safe_url
from sources.text import xml_text
from storage.categories import category_key

ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_FEED_TYPE = "application/feed+json; charset=utf-8"
# RFC 4151: a tag URI names an authority (a host) and a date it held that name.
TAG_DATE = "2026"

ElementTree.register_namespace("", ATOM_NS)


class FeedItem(Protocol):
    id: int
    title: str
    url: str | None
    category: str | None
    summary: str | None
    published_at: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class FeedInfo:
    """Where the feed lives: `base_url` without a trailing slash (e.g. https://news.example.org),
    `authority` the host named in tag URIs, `category` the filter as requested (or None)."""

    base_url: str
    authority: str
    category: str | None = None
    title: str = "coopnews"

    @property
    def heading(self) -> str:
        return f"{self.title}: {self.category}" if self.category else self.title

    def url(self, path: str) -> str:
        query = f"?{urlencode({'category': self.category})}" if self.category else ""
        return f"{self.base_url}{path}{query}"

    @property
    def feed_id(self) -> str:
        key = category_key(self.category)  # any spelling of one category: one feed id
        suffix = f"/category/{quote(key, safe='')}" if key else ""
        return f"tag:{self.authority},{TAG_DATE}:coopnews/feed{suffix}"


def authority_of(base_url: str) -> str:
    """The host of `base_url`, lower case, without port (a tag URI's authority)."""
    return (urlsplit(base_url).hostname or "localhost").lower()


def item_tag(authority: str, item_id: int) -> str:
    """The entry's permanent id: `tag:HOST,2026:coopnews/item/ID` (RFC 4151)."""
    return f"tag:{authority},{TAG_DATE}:coopnews/item/{item_id}"


def entry_updated(item: FeedItem) -> datetime:
    """When the entry last changed as readers see it: its date, or a later correction."""
    # Stored items have updated_at == created_at until a change (storage.store, curation).
    if item.updated_at > item.created_at:
        return max(item.published_at, item.updated_at)
    return item.published_at


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def feed_updated(items: Sequence[FeedItem], fallback: datetime) -> datetime:
    return max((entry_updated(i) for i in items), default=fallback)


def atom_document(items: Sequence[FeedItem], info: FeedInfo, updated: datetime) -> bytes:
    """An Atom 1.0 feed of `items` (newest first), UTF-8 bytes with an XML declaration."""
    feed = ElementTree.Element(f"{{{ATOM_NS}}}feed", {"xml:lang": "en"})

    def add(parent, tag: str, text: str | None = None, **attrs: str):
        element = ElementTree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = xml_text(text)
        return element

    add(feed, "id", info.feed_id)
    add(feed, "title", info.heading, type="text")
    add(feed, "updated", rfc3339(updated))
    add(feed, "link", rel="self", type="application/atom+xml", href=info.url("/feed.atom"))
    add(feed, "link", rel="alternate", type="text/html", href=info.url("/news"))
    add(add(feed, "author"), "name", info.title)
    add(feed, "generator", "coopnews")
    for item in items:
        entry = add(feed, "entry")
        add(entry, "id", item_tag(info.authority, item.id))
        add(entry, "title", item.title, type="text")
        href = safe_url(item.url)
        if href:
            add(entry, "link", rel="alternate", href=href)
        if item.summary:
            add(entry, "summary", item.summary, type="text")
        if not href:  # RFC 4287 4.1.2: an entry without an alternate link has content
            add(entry, "content", item.summary or item.title, type="text")
        if item.category:
            add(entry, "category", term=xml_text(item.category))
        add(entry, "published", rfc3339(item.published_at))
        add(entry, "updated", rfc3339(entry_updated(item)))
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)


def json_feed_document(items: Sequence[FeedItem], info: FeedInfo) -> bytes:
    """A JSON Feed 1.1 (https://jsonfeed.org/version/1.1) of `items`, UTF-8 bytes."""
    entries = []
    for item in items:
        entry: dict = {
            "id": item_tag(info.authority, item.id),
            "title": xml_text(item.title),
            # 1.1 requires content_html or content_text; text only, so nothing renders as markup.
            "content_text": xml_text(item.summary or item.title),
            "date_published": rfc3339(item.published_at),
            "date_modified": rfc3339(entry_updated(item)),
        }
        if href := safe_url(item.url):
            entry["url"] = href
        if item.summary:
            entry["summary"] = xml_text(item.summary)
        if item.category:
            entry["tags"] = [xml_text(item.category)]
        entries.append(entry)
    document = {
        "version": JSON_FEED_VERSION,
        "title": info.heading,
        "home_page_url": info.url("/news"),
        "feed_url": info.url("/feed.json"),
        "language": "en",
        "authors": [{"name": info.title}],
        "items": entries,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()
