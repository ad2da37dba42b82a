"""RSS (0.9x, 1.0/RDF, 2.0) and Atom documents -> entries, with feedparser.

feedparser handles the formats, encodings, namespaces and `xml:base`; the bytes
are cleaned first (sources/feed_bytes.clean_feed: entity declarations refused,
control bytes removed, stray bytes and HTML's named entities made readable), and
this module turns feedparser's entries into plain, checked values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import feedparser

from domain.text import normalise_space
from sources.dates import read_date
from sources.feed_bytes import as_ascii_compatible, clean_feed
from sources.text import html_to_text

_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>])", re.I | re.S
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Problems feedparser reports that leave a perfectly good feed.
_HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


class NotAFeed(ValueError):
    """The document is not RSS or Atom (is_html: a web page, where a feed link may be)."""

    def __init__(self, message: str, is_html: bool = False) -> None:
        super().__init__(message)
        self.is_html = is_html


@dataclass(frozen=True)
class FeedEntry:
    title: str  # plain text; may be empty
    link: str | None
    guid: str | None
    summary: str  # plain text; may be empty
    published: datetime | None
    date_text: str | None  # the date as written, when there was one
    tags: tuple[str, ...] = ()


@dataclass
class ParsedFeed:
    kind: str  # "rss" or "atom"
    version: str
    title: str | None
    link: str | None
    entries: list[FeedEntry] = field(default_factory=list)
    # A parse error after which only part of the document may have been read.
    problem: str | None = None


def looks_like_html(data: bytes, content_type: str = "") -> bool:
    content_type = content_type.split(";")[0].strip().lower()
    sample = as_ascii_compatible(data[:4096]).lstrip(b"\xef\xbb\xbf")
    return bool(_HTML_START.match(sample)) or (
        content_type in _HTML_TYPES and not sample.lstrip().startswith(b"<?xml")
    )


def parse_feed(data: bytes, url: str | None = None, content_type: str = "") -> ParsedFeed:
    """Parse a feed; NotAFeed when it is none, FeedRejected (sources.feed_bytes) when it
    must not be parsed."""
    if not data.strip():
        raise NotAFeed("the document is empty")
    data = clean_feed(data, content_type)
    headers = {"content-type": content_type or "application/xml"}
    if url:
        # The base for relative links when the feed sets no xml:base.
        headers["content-location"] = url
    # Links are still resolved (xml:base, the feed's URL); URIs inside HTML content are
    # not, as it becomes plain text anyway; that saves a third of the parse time.
    parsed = feedparser.parse(
        data, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    version = parsed.get("version") or ""
    problem = None
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), _HARMLESS):
        problem = f"malformed feed: {parsed.get('bozo_exception')}"
    if not version or (not parsed.entries and problem):
        if looks_like_html(data, content_type):
            raise NotAFeed("this is a web page, not a feed", is_html=True)
        raise NotAFeed(problem or "this is not an RSS or Atom feed")
    feed = parsed.feed
    base = url or feed.get("link")
    raw_entries = parsed.entries
    closed = _closed_entries(data) if problem else None
    if closed is not None and len(raw_entries) > closed:
        # A cut-short document (a truncated file, a dropped connection): the loose parser
        # still returns the last, unfinished entry (a title without its link or date).
        raw_entries = raw_entries[:closed]
        problem += "; the document ends inside an entry, which was left out"
    return ParsedFeed(
        kind="atom" if version.startswith("atom") else "rss",
        version=version,
        title=_text(feed, "title") or None,
        link=_absolute(feed.get("link"), url),
        entries=[_entry(raw, base) for raw in raw_entries],
        problem=problem,
    )


_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")
_ROOT_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:rss|feed|RDF)\s*>\s*\Z")


def _closed_entries(data: bytes) -> int | None:
    """How many entries a document the XML parser refused closes, when it ends before
    its root element does (cut short); None when it is whole."""
    if _ROOT_END.search(data[-200:]):
        return None
    return len(_ENTRY_END.findall(data))


def _text(mapping, key: str) -> str:
    """A text construct as plain text: HTML only when the feed says it is HTML."""
    value = mapping.get(key) or ""
    detail = mapping.get(f"{key}_detail") or {}
    if detail.get("type") in _HTML_TYPES:
        return html_to_text(value)
    return normalise_space(value)


def _entry(raw, base: str | None) -> FeedEntry:
    # A plain copy of feedparser's entry: its own look-ups map old names (description,
    # guid, date...) to new ones at a cost on every read, and only new names are read
    # here. (Its one fallback that matters, `updated` -> `published`, only repeats the
    # date _date has read first.)
    raw = dict(raw)
    # Summaries are read as HTML whatever their declared type: feeds mislabel them,
    # and plain text survives the HTML parser unchanged.
    summary = html_to_text(raw.get("summary") or "")
    if not summary and raw.get("content"):
        summary = html_to_text(raw["content"][0].get("value") or "")
    published, date_text = _date(raw)
    tags = []
    for tag in raw.get("tags") or ():
        term = tag.get("term") or tag.get("label") or ""
        if term.strip():
            tags.append(normalise_space(term))
    return FeedEntry(
        title=_text(raw, "title"),
        link=_absolute(raw.get("link"), base),
        guid=normalise_space(raw.get("id") or "") or None,
        summary=summary,
        published=published,
        date_text=date_text,
        tags=tuple(tags),
    )


def _date(raw: dict) -> tuple[datetime | None, str | None]:
    """Published, else updated; (None, text) when the feed had a date we could not read.

    Dates are read from the text as written (sources/dates.py), not from
    feedparser's `*_parsed`, which misreads some common forms.
    """
    written = None
    for key in ("published", "updated", "created"):
        text = normalise_space(raw.get(key) or "")
        if not text:
            continue
        written = written or text
        moment = read_date(text)
        if moment:
            return moment, written
    return None, written


def _absolute(link: str | None, base: str | None) -> str | None:
    """An absolute http(s) link, or None (javascript:, mailto: and the like are dropped)."""
    link = (link or "").strip()
    if not link:
        return None
    scheme = urlsplit(link).scheme
    if base and not scheme:
        link = urljoin(base, link)
        scheme = urlsplit(link).scheme
    return link if scheme.lower() in ("http", "https") else None
