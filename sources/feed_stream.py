"""A large RSS 2.0 or Atom file -> its entries' drafts, a chunk at a time, in flat memory.

parse_feed reads a document whole: feedparser builds every entry at once, so a
100,000-entry file took hundreds of MB. For a file import this module instead:

1. cleans the file a block at a time with the cleaner parse_feed uses on a whole
   document (sources/feed_bytes.clean_feed_blocks: entity declarations refused,
   control bytes removed, stray bytes of a UTF-8 document read as Windows-1252,
   HTML's named entities written as character references outside CDATA), into a
   temporary file, and reads that once with expat
   (entity declarations and external entities refused, as defusedxml does):
   whether it is well-formed, where each entry starts and ends, and the feed's own
   elements (title, link, ...), wherever they stand;
2. cuts it into documents of CHUNK entries each: the prolog, the root's (and RSS's
   channel's) start tag, every element of the feed's own, and the chunk's entries.
   Each is read by parse_feed and feed_drafts, the very code that reads a whole
   feed, so an entry reads as it does in the whole document (the same namespaces,
   xml:lang and xml:base, the feed's link as base, one `now`, the same positions in
   warnings). The drafts wait in a second temporary file, and the entries'
   canonical links are counted as 8-byte digests: storage.entries needs to know
   which links several entries share before it stores the first chunk;
3. `drafts()` reads them back a chunk at a time for add_items.

Nothing is stored before the whole file has been read. Anything this cannot cut
with certainty (another format, encoding or layout, a document expat finds not
well-formed, an entry feedparser reads differently) gives None: the caller reads
the document whole, as before, with the same answers.
"""

from __future__ import annotations

import pickle
import re
import tempfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from domain import identity
from domain.items import ItemDraft
from sources.feed_bytes import NotCleanableInBlocks, clean_feed_blocks
from sources.feed_items import feed_drafts
from sources.feeds import NotAFeed, parse_feed
from storage.bulk import release
from storage.entries import Digests

CHUNK = 250  # entries per document read by feedparser (1,000: +15 MB of peak RSS)
READ_BLOCK = 1 << 20  # bytes read from the file at a time
ATOM = "http://www.w3.org/2005/Atom"
_TAG = re.compile(rb"""<(?:[^"'>]|"[^"]*"|'[^']*')*>""")  # one tag ('>' may stand in quotes)
_QNAME = re.compile(rb"<([^\s/>]+)")


class _CannotStream(Exception):
    """The document is read whole instead (see the module docstring)."""


class LinkCounts:
    """How many entries of a document have each canonical link (identity.link_key): 1 or
    2 (two or more), as storage.entries reads `link_counts`, at 8 bytes a link."""

    def __init__(self) -> None:
        self.once, self.more = Digests(), Digests()

    @staticmethod
    def _digest(link_key: str) -> int:
        return int(link_key[:16], 16)  # link keys are SHA-256 hex digests

    def add(self, link_key: str) -> None:
        digest = self._digest(link_key)
        if digest in self.once:
            if digest not in self.more:
                self.more.add(digest)
        else:
            self.once.add(digest)

    def get(self, link_key: str, default: int = 0) -> int:
        digest = self._digest(link_key)
        return 2 if digest in self.more else 1 if digest in self.once else default

    def __getitem__(self, link_key: str) -> int:
        found = self.get(link_key)
        if not found:
            raise KeyError(link_key)
        return found


@dataclass
class StreamedFeed:
    """A feed file read chunk by chunk: its drafts wait in a temporary file."""

    entries: int
    spool: BinaryIO
    link_counts: LinkCounts
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0

    def drafts(self) -> Iterator[ItemDraft]:
        """The drafts, in the feed's order, a chunk at a time (readable once)."""
        self.spool.seek(0)
        while True:
            try:
                yield from pickle.load(self.spool)
            except EOFError:
                return

    def close(self) -> None:
        self.spool.close()


def read_feed_file(path: Path, now: datetime | None = None) -> StreamedFeed | None:
    """The file's drafts as parse_feed + feed_drafts read the whole file (url None, no
    content type), or None when it must be read whole. Raises FeedRejected (entity
    declarations) and OSError."""
    now = now or datetime.now(UTC)
    with path.open("rb") as raw, tempfile.TemporaryFile() as cleaned:
        try:
            scan = _scan(raw, cleaned)
            return _read_chunks(cleaned, scan, now)
        except (_CannotStream, NotCleanableInBlocks, expat.ExpatError, NotAFeed):
            return None


# -- 1. cleaning and scanning ---------------------------------------------------------
@dataclass
class _Scan:
    """Where things stand in the cleaned file (byte offsets)."""

    root: int = -1  # the root's start tag
    container: int = -1  # RSS: the channel's start tag; Atom: the root's
    rss: bool = True
    starts: array = field(default_factory=lambda: array("Q"))  # entries' start tags
    ends: array = field(default_factory=lambda: array("Q"))  # entries' end tags
    own: list[tuple[int, int]] = field(default_factory=list)  # the feed's own elements


def _scan(raw: BinaryIO, cleaned: BinaryIO) -> _Scan:
    scan, depth, opened = _Scan(), 0, -1
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_args):
        raise _CannotStream("entities")

    def start(name: str, _attrs) -> None:
        nonlocal depth, opened
        depth += 1
        at = parser.CurrentByteIndex
        if depth == 1:
            if name not in ("rss", f"{ATOM} feed"):
                raise _CannotStream("neither RSS 2.0 nor Atom")
            scan.root, scan.rss = at, name == "rss"
            if not scan.rss:
                scan.container = at
        elif depth == 2 and scan.rss:
            if name != "channel" or scan.container >= 0:
                raise _CannotStream("not one channel")
            scan.container = at
        elif depth == (3 if scan.rss else 2):
            opened = at
        elif name in ("item", f"{ATOM} entry"):
            raise _CannotStream("an entry elsewhere")

    def end(name: str) -> None:
        nonlocal depth
        if depth == (3 if scan.rss else 2):
            if name == ("item" if scan.rss else f"{ATOM} entry"):
                scan.starts.append(opened)
                scan.ends.append(parser.CurrentByteIndex)
            else:
                scan.own.append((opened, parser.CurrentByteIndex))
        depth -= 1

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.EntityDeclHandler = parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = parser.SkippedEntityHandler = refuse
    for block in clean_feed_blocks(iter(lambda: raw.read(READ_BLOCK), b"")):
        cleaned.write(block)
        parser.Parse(block, False)
    parser.Parse(b"", True)
    if not scan.starts:
        raise _CannotStream("no entries")
    return scan


# -- 2. documents of CHUNK entries ------------------------------------------------------
def _read_chunks(cleaned: BinaryIO, scan: _Scan, now: datetime) -> StreamedFeed:
    cleaned.seek(0)
    prolog = cleaned.read(scan.root)
    root = _element(cleaned, scan.root, scan.root)
    head = [prolog, root]
    tail = [b"</" + _QNAME.match(root)[1] + b">"]
    if scan.rss:
        channel = _element(cleaned, scan.container, scan.container)
        head.append(channel)
        tail.insert(0, b"</" + _QNAME.match(channel)[1] + b">")
    head += [_element(cleaned, start, end) for start, end in scan.own]
    head_bytes, tail_bytes = b"".join(head), b"".join(tail)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by StreamedFeed.close
    streamed = StreamedFeed(len(scan.starts), spool, LinkCounts())
    try:
        version = None
        for first in range(0, len(scan.starts), CHUNK):
            last = min(first + CHUNK, len(scan.starts)) - 1
            base = scan.starts[first]
            data = _element(cleaned, base, scan.ends[last])
            entries = []
            for n in range(first, last + 1):
                start = scan.starts[n] - base
                end = _end_of(data, scan.ends[n] - base, start)
                if end is None:
                    raise _CannotStream("an end tag not read")
                entries.append(data[start:end])
            feed = parse_feed(head_bytes + b"\n".join(entries) + tail_bytes)
            # Read differently from the whole document: let parse_feed read it whole.
            if (
                feed.problem
                or len(feed.entries) != len(entries)
                or version not in (None, feed.version)
            ):
                raise _CannotStream("read differently")
            version = feed.version
            part = feed_drafts(feed, now=now, first_position=first + 1)
            streamed.warnings += part.warnings
            streamed.skipped += part.skipped
            for draft in part.drafts:
                if (link_key := identity.link_key(draft.url)) is not None:
                    streamed.link_counts.add(link_key)
            pickle.dump(part.drafts, streamed.spool, pickle.HIGHEST_PROTOCOL)
            release()  # feedparser's objects of this chunk are gone
    except BaseException:
        streamed.close()
        raise
    return streamed


def _element(cleaned: BinaryIO, start: int, last: int) -> bytes:
    """The bytes from `start` to the end of the element or tag that expat reported at
    `last` (its end tag, or for an empty-element tag its start)."""
    cleaned.seek(start)
    data = cleaned.read(last - start + 4096)
    while (end := _end_of(data, last - start)) is None:
        more = cleaned.read(READ_BLOCK)
        if not more:
            raise _CannotStream("a tag not closed")
        data += more
    return data[:end]


def _end_of(data: bytes, last: int, start: int = 0) -> int | None:
    """Where the element that starts at `start` in `data` and whose end tag expat
    reported at `last` ends. For `<x/>` expat reports its end after the tag: the
    element is its start tag. (Offsets into `data`: an entry is never copied out of its
    chunk to be measured.)"""
    tag = _TAG.match(data, start)
    if tag is None or data[last : last + 2] != b"</" and tag[0].endswith(b"/>"):
        return tag.end() if tag else None
    tag = _TAG.match(data, last)
    return tag.end() if tag else None
