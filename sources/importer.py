"""Import a source (file or URL) into the store, idempotently.

A URL is fetched (a web page is followed to the feed it links to); a file is
read as a feed when it is markup, else as ILO listing text. Either way the
whole batch is stored in one transaction, or nothing is.

A listing file is read as a stream: entries are parsed and stored a chunk at a
time (storage.entries.STREAM_CHUNK) inside that one transaction, so the
import's memory does not grow with the file (under 100 MB for 100,000 entries,
most of it the interpreter and its libraries; bench/table.py measures it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from domain.identity import import_scope
from domain.text import remove_control_characters
from sources import feed_stream, ilo
from sources.documents import (
    Document,
    UnreadableSource,
    is_markup,
    listing_draft,
    listing_drafts,
    load_url,
)
from sources.documents import read_document as read_document_bytes
from sources.feed_bytes import FeedRejected
from sources.feeds import NotAFeed
from sources.fetch import FetchError, FetchOptions
from sources.text import decode_utf8_leniently
from storage.db import Database
from storage.entries import add_items

log = logging.getLogger(__name__)
READ_BLOCK = 1 << 20  # bytes of a listing file read at a time
MARKUP_PROBE = 65536  # bytes read to tell a listing (text) from a feed (markup)
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class ImportFailed(Exception):
    """The source could not be imported; nothing was written."""


@dataclass
class ImportSummary:
    added: int = 0
    already_present: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    added_ids: list[int] = field(default_factory=list)

    def line(self) -> str:
        return f"added {self.added}, already present {self.already_present}, skipped {self.skipped}"


__all__ = [
    "ImportFailed",
    "ImportSummary",
    "import_listing_text",
    "import_source",
    "listing_drafts",
]


def import_listing_text(db: Database, text: str, where: str = "listing") -> ImportSummary:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return import_listing_lines(db, text.split("\n"), where)


def import_listing_lines(db: Database, lines: Iterable[str], where: str) -> ImportSummary:
    """Store a listing's entries as they are parsed, in one transaction (see the module
    docstring). Raises ImportFailed when the lines hold no entry (nothing is written)."""
    warnings: list[str] = []
    read = 0

    def drafts() -> Iterator:
        nonlocal read
        for entry in ilo.iter_listing(lines, warnings):
            read += 1
            yield listing_draft(entry)

    try:
        with db.transaction() as session:
            # A listing's entries have no links: none is shared (storage.entries).
            result = add_items(session, drafts(), scope=import_scope(where), link_counts={})
            if not read:
                raise ilo.NotAListing(ilo.NO_ENTRIES)  # rolls back (a count fold, no more)
    except ilo.NotAListing as exc:
        raise ImportFailed(str(exc)) from exc
    return ImportSummary(
        added=len(result.added),
        already_present=result.already_present,
        skipped=len(warnings),
        warnings=warnings,
        added_ids=result.added,
    )


def listing_file_lines(path: Path) -> Iterator[str]:
    """A listing file's lines as read_text_file reads them (UTF-8 with stray bytes as
    Windows-1252, control characters removed, any line end), a block of READ_BLOCK
    bytes at a time. Raises ImportFailed when the file cannot be read."""
    try:
        with path.open("rb") as file:
            rest, start = b"", True
            while block := file.read(READ_BLOCK):
                block = rest + block
                # Cut after the last b"\n": a UTF-8 sequence never holds that byte, so
                # decoding block by block reads the same characters as the whole file.
                cut = block.rfind(b"\n") + 1
                block, rest = block[:cut], block[cut:]
                if block and start:  # the file's first bytes: without a BOM
                    block, start = block.removeprefix(b"\xef\xbb\xbf"), False
                yield from _text_lines(block)
            yield from _text_lines(rest.removeprefix(b"\xef\xbb\xbf") if start else rest)
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from exc


def _text_lines(block: bytes) -> list[str]:
    if not block:
        return []
    text = remove_control_characters(decode_utf8_leniently(block))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.removesuffix("\n").split("\n")


def read_text_file(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from exc
    # A stray non-UTF-8 byte is read as Windows-1252, never refused or garbled.
    return remove_control_characters(decode_utf8_leniently(raw.removeprefix(b"\xef\xbb\xbf")))


def import_document(db: Database, document: Document, where: str) -> ImportSummary:
    """Store a feed's or listing's drafts in one transaction (no source: a one-off import).

    `where` (the URL, or the file's absolute path) scopes the entries' keys.
    """
    with db.transaction() as session:
        result = add_items(session, document.drafts, scope=import_scope(where))
    warnings = list(document.warnings)
    if document.problem:
        warnings.append(f"{document.problem} (kept the entries that parsed cleanly)")
    # Returned, not logged: the caller shows them once (the CLI prints them).
    return ImportSummary(
        added=len(result.added),
        already_present=result.already_present,
        skipped=document.skipped,
        warnings=warnings,
        added_ids=result.added,
    )


def is_url(source: str) -> bool:
    return bool(_URL_SCHEME.match(source.strip()))


def import_url(db: Database, url: str, options: FetchOptions) -> ImportSummary:
    try:
        loaded = load_url(url, options)
    except (FetchError, UnreadableSource, FeedRejected) as exc:
        raise ImportFailed(str(exc)) from exc
    if loaded.document is None:  # cannot happen: no validators were sent
        raise ImportFailed(f"{url} answered “not modified” to a first request")
    return import_document(db, loaded.document, loaded.url)


def import_file(db: Database, path: Path) -> ImportSummary:
    try:
        with path.open("rb") as file:
            head = file.read(MARKUP_PROBE)
        # Text is a listing, streamed; markup is a feed, streamed when it can be cut
        # into chunks of entries (sources/feed_stream.py), else read whole.
        if head.strip() and not is_markup(head):
            return import_listing_lines(db, listing_file_lines(path), str(path.resolve()))
        streamed = feed_stream.read_feed_file(path) if is_markup(head) else None
        if streamed is None:
            raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from exc
    except FeedRejected as exc:
        raise ImportFailed(f"{path}: {exc}") from exc
    if streamed is not None:
        return import_streamed_feed(db, streamed, str(path.resolve()))
    if not is_markup(raw):
        return import_listing_text(db, read_text_file(path), str(path.resolve()))
    try:
        document = read_document_bytes(raw, url=None)
    except NotAFeed as exc:
        if exc.is_html:
            raise ImportFailed(
                f"{path} is a web page, not a feed: import the page's URL instead, "
                "so its feed can be found"
            ) from exc
        raise ImportFailed(f"{path}: {exc}") from exc
    except FeedRejected as exc:
        raise ImportFailed(f"{path}: {exc}") from exc
    return import_document(db, document, str(path.resolve()))


def import_streamed_feed(db: Database, feed: feed_stream.StreamedFeed, where: str) -> ImportSummary:
    """Store a feed file read chunk by chunk (import_document's answers, in flat memory)."""
    try:
        with db.transaction() as session:
            result = add_items(
                session, feed.drafts(), scope=import_scope(where), link_counts=feed.link_counts
            )
    finally:
        feed.close()
    return ImportSummary(
        added=len(result.added),
        already_present=result.already_present,
        skipped=feed.skipped,
        warnings=feed.warnings,
        added_ids=result.added,
    )


def import_source(db: Database, source: str, options: FetchOptions | None = None) -> ImportSummary:
    """Import a URL (feed, page with a feed, listing) or a file path (feed or ILO listing).

    Raises ImportFailed with a clear message; nothing is written then.
    """
    if is_url(source):
        return import_url(db, source.strip(), options or FetchOptions())
    return import_file(db, Path(source))
