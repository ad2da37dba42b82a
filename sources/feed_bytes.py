"""A feed's bytes made fit for the XML parser: one cleaner, whole or a block at a time.

The steps, in this order (parse_feed reads every feed through them; the streamed
file import, sources/feed_stream.py, through the block-wise form):

1. a document that declares XML entities is refused (FeedRejected);
2. control bytes are removed (XML forbids them; PostgreSQL refuses NUL);
3. a document in UTF-8 (declared, or by XML's default) with invalid bytes gets those
   read as Windows-1252 (sources/text.decode_utf8_leniently) instead of feedparser
   re-reading the whole document (mojibake);
4. HTML's named entities are written as character references, and references to no
   character as U+FFFD's, outside CDATA sections.

UTF-16 and UTF-32 documents are left to feedparser's own detection (steps 2 and 3
skipped). `clean_feed` cleans a whole document; `clean_feed_blocks` gives the same
bytes from a file read in blocks, or raises NotCleanableInBlocks where it cannot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html.entities import name2codepoint
from itertools import chain

from sources.text import decode_utf8_leniently

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)", re.I)
_UTF8_NAMES = ("", "utf-8", "utf8")
_WIDE_STARTS = (b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00")  # UTF-16/32, first 2 bytes
_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.S)
# Any entity reference but XML's own five, which stay as written: named (group 1),
# hexadecimal (2) or decimal (3). (Skipping those five here, not in the replacement,
# saves a Python call for each `&lt;` of an Atom feed's escaped HTML.)
_REFERENCE = re.compile(
    rb"&(?:(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31})|#[xX]([0-9A-Fa-f]+)|#([0-9]+));"
)
_XML_ENTITIES = frozenset((b"amp", b"lt", b"gt", b"quot", b"apos"))


class FeedRejected(ValueError):
    """The document must not be parsed (e.g. it declares XML entities)."""


class NotCleanableInBlocks(ValueError):
    """clean_feed_blocks cannot clean this file block-wise (UTF-16/32, or an encoding
    other than UTF-8): clean it whole with clean_feed."""


def refuse_entity_declarations(data: bytes) -> None:
    """Refuse documents that declare XML entities, before any XML parser sees them.

    Entity declarations are how "billion laughs" and quadratic-blowup bombs
    expand a few kilobytes into gigabytes; feeds never need them (defusedxml's
    policy too). One scan over the bytes, so it costs no memory. Raises FeedRejected.
    """
    if _ENTITY_DECLARATION.search(as_ascii_compatible(data)):
        raise FeedRejected(
            "the document declares XML entities (<!ENTITY>), which feeds never need "
            "and which can expand without limit: refused"
        )


def as_ascii_compatible(data: bytes) -> bytes:
    """UTF-16/32 documents re-encoded to UTF-8 so a byte search for markup works on
    them (by byte-order mark, else by the bytes of a leading '<'); others as they are."""
    head = data[:4]
    for bom, codec in (
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\xfe\xff", "utf-16"),
        (b"\xff\xfe", "utf-16"),
    ):
        if head.startswith(bom):
            return data.decode(codec, "replace").encode("utf-8")
    if head == b"\x00\x00\x00<":
        return data.decode("utf-32-be", "replace").encode("utf-8")
    if head == b"<\x00\x00\x00":
        return data.decode("utf-32-le", "replace").encode("utf-8")
    if head[:2] == b"\x00<":
        return data.decode("utf-16-be", "replace").encode("utf-8")
    if head[:2] == b"<\x00":
        return data.decode("utf-16-le", "replace").encode("utf-8")
    return data


def clean_feed(data: bytes, content_type: str = "") -> bytes:
    """A whole document through steps 1-4 (module docstring). `content_type` is the
    HTTP header as sent; its charset, else the XML declaration's encoding, says
    whether the document is UTF-8. Raises FeedRejected."""
    refuse_entity_declarations(data)
    if data[:2] not in _WIDE_STARTS:  # UTF-16/32: feedparser's own detection
        data = _CONTROL_BYTES.sub(b"", data)
        if (_charset(content_type) or _declared_encoding(data)) in _UTF8_NAMES:
            data = _utf8_repaired(data)
    return _numeric_entities(data)


def clean_feed_blocks(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """The bytes clean_feed(b"".join(blocks)) gives (no content type), a block at a time.

    Blocks are cut after a '>', which no UTF-8 sequence, named entity or `<!ENTITY`
    holds, and never inside a CDATA section, so each step reads the same bytes as on
    the whole document. Raises FeedRejected, and NotCleanableInBlocks for a document
    that is UTF-16/32 or declares an encoding other than UTF-8."""
    rest, pending, first = b"", b"", True
    for block in chain((block for block in blocks if block), [b""]):
        data = rest + block
        if block:
            cut = data.rfind(b">") + 1
            data, rest = data[:cut], data[cut:]
        if data:
            if first:
                if data[:2] in _WIDE_STARTS:
                    raise NotCleanableInBlocks("UTF-16 or UTF-32")
                refuse_entity_declarations(data)
            elif _ENTITY_DECLARATION.search(data):
                refuse_entity_declarations(data)
            data = _CONTROL_BYTES.sub(b"", data)
            if first:
                if _declared_encoding(data) not in _UTF8_NAMES:
                    raise NotCleanableInBlocks("not UTF-8")
                first = False
            pending += _utf8_repaired(data)
            # Hold back a CDATA section not closed yet: named entities in it stay as written.
            last = _CDATA.split(pending)[-1]
            opened = last.find(b"<![CDATA[")
            cut = len(pending) if opened < 0 else len(pending) - len(last) + opened
            if cut:
                yield _numeric_entities(pending[:cut])
                pending = pending[cut:]
        if not block and pending:
            yield _numeric_entities(pending)


def _charset(content_type: str) -> str:
    """The charset parameter of a Content-Type header, lower case; "" when none."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'").lower()
    return ""


def _declared_encoding(data: bytes) -> str:
    """The XML declaration's encoding, lower case; "" when none is declared."""
    declared = _DECLARED.match(data)
    return declared[1].decode().lower() if declared else ""


def _utf8_repaired(data: bytes) -> bytes:
    """UTF-8 bytes as they are; with invalid bytes, those read as Windows-1252."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_utf8_leniently(data).encode("utf-8")
    return data


def _numeric_entities(data: bytes) -> bytes:
    """HTML's named entities (`&nbsp;`, `&eacute;`) written as character references,
    and references to no character (a surrogate, past U+10FFFF) as U+FFFD's.

    XML 1.0 defines only five names, so feedparser flags a feed using others as
    malformed, although feed readers all accept it; written as `&#160;` they mean the
    same and the feed stays well-formed. CDATA sections are left as written."""
    if b"&" not in data:
        return data

    def reference(match: re.Match) -> bytes:
        name = match[1]
        if name is None:  # a character reference: kept unless it names no character
            digits = (match[2] or match[3]).lstrip(b"0") or b"0"
            number = int(digits, 16 if match[2] else 10) if len(digits) <= 8 else -1
            if 0 <= number <= 0x10FFFF and not 0xD800 <= number <= 0xDFFF:
                return match[0]
            return b"&#65533;"  # feedparser raised on these (chr, UTF-8): U+FFFD instead
        codepoint = None if name in _XML_ENTITIES else name2codepoint.get(name.decode())
        return b"&#%d;" % codepoint if codepoint else match[0]

    parts = _CDATA.split(data)
    # re.split with a group: the CDATA sections are the odd parts.
    for i in range(0, len(parts), 2):
        parts[i] = _REFERENCE.sub(reference, parts[i])
    return b"".join(parts)
