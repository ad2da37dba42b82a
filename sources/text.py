"""Text from outside (feeds, listings, people) to clean plain text.

Cleaning happens once, where text enters: control characters (NUL included,
which PostgreSQL refuses in text) are removed, HTML becomes text with spaces
only where blocks end, entities are decoded exactly once, and bytes that are
not valid in the declared encoding are read by their most likely one.
"""

from __future__ import annotations

import codecs
import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

from domain.text import normalise_space

_MARKUP = re.compile(r"<[A-Za-z/!]|&[#A-Za-z0-9]+;")
# Elements whose edges separate words (HTML's block and table-cell elements, line
# breaks); every other tag is inline and joins its text to its neighbours.
BLOCK_ELEMENTS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)


def html_to_text(markup: str | None) -> str:
    """HTML -> plain text: tags stripped, entities decoded once, whitespace normalised.

    A space separates only what block elements (BLOCK_ELEMENTS) separate, so
    `@<span>mira</span>` stays "@mira" and `<strong>co</strong>operative`
    stays "cooperative".
    """
    if not markup:
        return ""
    if not _MARKUP.search(markup):
        return normalise_space(markup)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "html.parser")
    for hidden in soup(["script", "style", "template"]):
        hidden.decompose()
    for block in soup.find_all(BLOCK_ELEMENTS):
        block.insert_before(" ")
        block.insert_after(" ")
    return normalise_space(soup.get_text(""))


def _cp1252_for_stray_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    # A stray byte in a UTF-8 document is nearly always Windows-1252 (what HTML5
    # reads as Latin-1); bytes cp1252 leaves undefined are read as Latin-1.
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", errors="ignore") or bad.decode("latin-1"), error.end


codecs.register_error("coopnews-cp1252", _cp1252_for_stray_bytes)


def decode_utf8_leniently(data: bytes) -> str:
    """UTF-8 bytes -> text; invalid bytes read as Windows-1252, not replaced or mojibake."""
    return data.decode("utf-8", errors="coopnews-cp1252")


# XML 1.0 section 2.2 (Char) excludes most C0 controls, lone surrogates and U+FFFE/U+FFFF;
# C1 controls are legal but never text a reader can see.
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str | None) -> str:
    """`text` without the characters an XML document (or HTML page) cannot carry."""
    return _NOT_XML_TEXT.sub("", text or "")
