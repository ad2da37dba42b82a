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
    """Cut at a word boundary, adding an ellipsis; text is already normalised."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0]
    if len(cut) < limit // 2:  # one very long word: cut it
        cut = text[:limit]
    return cut.rstrip(" ,;:.-–—") + "…"
