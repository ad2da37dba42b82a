"""Feed text (often HTML) to clean plain text."""

from __future__ import annotations

import html
import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

_MARKUP = re.compile(r"<[A-Za-z/!]|&[#A-Za-z0-9]+;")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def normalise_space(text: str) -> str:
    return " ".join(_INVISIBLE.sub("", text).split())


def html_to_text(markup: str | None) -> str:
    """Tags stripped (block elements become spaces), entities decoded, whitespace normalised."""
    if not markup:
        return ""
    if not _MARKUP.search(markup):
        return normalise_space(markup)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "html.parser")
    for hidden in soup(["script", "style", "template"]):
        hidden.decompose()
    # Double-escaped feeds ("&amp;amp;") leave entities behind after one pass.
    return normalise_space(html.unescape(soup.get_text(" ")))


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, ellipsis included, cut at a word boundary.

    `text` is already whitespace-normalised.
    """
    if len(text) <= limit:
        return text
    room = limit - 1  # keep a place for the ellipsis
    cut = text[: room + 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut[:room]
    if len(cut) < room // 2 or len(cut) > room:  # one very long word: cut inside it
        cut = text[:room]
    return cut.rstrip(" ,;:.-–—") + "…"


# XML 1.0 section 2.2 (Char) excludes most C0 controls, lone surrogates and U+FFFE/U+FFFF;
# C1 controls are legal but never text a reader can see.
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str | None) -> str:
    """`text` without the characters an XML document (or HTML page) cannot carry."""
    return _NOT_XML_TEXT.sub("", text or "")
