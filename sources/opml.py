"""OPML 2.0 (http://opml.org/spec2.opml) subscription lists: reading and writing. Pure functions.

Reading uses defusedxml: entity declarations (billion laughs, external
entities) are refused, never expanded. A feed is an `outline` with an
`xmlUrl`; an outline without one that holds others is a folder. A feed's
category is its own `category` attribute (the first of its comma-separated
list, surrounding slashes dropped), else the name of the innermost folder
holding it: "nested folders become categories".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.etree import ElementTree

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException

from domain.text import normalise_space
from sources.text import xml_text

# Far more than any real list, small enough to refuse a mistaken file quickly.
MAX_BYTES = 5_000_000
MAX_FEEDS = 2000
MAX_CATEGORY_CHARS = 200
# Folders within folders; real lists nest two or three deep. Deeper would exhaust recursion.
MAX_DEPTH = 50


class OpmlError(ValueError):
    """The file is not a usable OPML document; the message says why, for people."""


@dataclass(frozen=True)
class OpmlFeed:
    """One feed of a list: `url` as written (xmlUrl), its title and category if any."""

    url: str
    title: str | None = None
    category: str | None = None
    html_url: str | None = None


def _attr(element, name: str) -> str | None:
    """An attribute by name in any case (some tools write `xmlurl`), cleaned as feed
    text is (domain.text.normalise_space), or None."""
    wanted = name.casefold()
    for key, value in element.attrib.items():
        if key.casefold() == wanted:
            return normalise_space(value) or None
    return None


def _category(value: str | None) -> str | None:
    if not value:
        return None
    first = value.split(",", 1)[0].strip().strip("/").strip()
    return first[:MAX_CATEGORY_CHARS] or None


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds of an OPML document, in document order. Raises OpmlError when the file
    is not XML, not OPML, has no body, declares entities, is too large or nests
    folders more than MAX_DEPTH deep."""
    if len(data) > MAX_BYTES:
        raise OpmlError(f"the file is larger than {MAX_BYTES // 1_000_000} MB")
    try:
        root = SafeTree.fromstring(data)
    except DefusedXmlException:
        raise OpmlError("the file declares XML entities, which are refused for safety") from None
    except ElementTree.ParseError as exc:
        raise OpmlError(f"not well-formed XML ({exc})") from None
    if root.tag != "opml":
        raise OpmlError(f"the root element is <{root.tag}>, not <opml>")
    body = root.find("body")
    if body is None:
        raise OpmlError("there is no <body> element")
    feeds: list[OpmlFeed] = []

    def walk(parent, folder: str | None, depth: int = 1) -> None:
        if depth > MAX_DEPTH:
            raise OpmlError(f"folders nested deeper than {MAX_DEPTH} levels")
        for outline in parent.findall("outline"):
            url = _attr(outline, "xmlUrl")
            if url:
                if len(feeds) == MAX_FEEDS:
                    raise OpmlError(f"more than {MAX_FEEDS} feeds")
                feeds.append(
                    OpmlFeed(
                        url=url,
                        title=_attr(outline, "title") or _attr(outline, "text"),
                        category=_category(_attr(outline, "category")) or folder,
                        html_url=_attr(outline, "htmlUrl"),
                    )
                )
            else:
                name = _attr(outline, "text") or _attr(outline, "title")
                walk(outline, _category(name) or folder, depth + 1)

    walk(body, None)
    return feeds


def opml_document(feeds: Iterable[OpmlFeed], title: str, created: datetime) -> bytes:
    """An OPML 2.0 document: one `outline type="rss"` per feed, with its `category`."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    ElementTree.SubElement(head, "dateCreated").text = format_datetime(created, usegmt=True)
    body = ElementTree.SubElement(root, "body")
    for feed in feeds:
        name = xml_text(feed.title or feed.url)
        attributes = {"type": "rss", "text": name, "title": name, "xmlUrl": xml_text(feed.url)}
        if feed.html_url and feed.html_url != feed.url:
            attributes["htmlUrl"] = xml_text(feed.html_url)
        if feed.category:
            attributes["category"] = xml_text(feed.category)
        ElementTree.SubElement(body, "outline", attributes)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
