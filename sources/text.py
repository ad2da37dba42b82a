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
from functools import lru_cache
from html.entities import name2codepoint
from itertools import chain

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

from domain.text import normalise_space

# A tag, or an "&" that may start a character reference: HTML reads some without their
# ";" ("&amp chips" is "& chips", WHATWG HTML "named character references"), so any
# "&" before a letter, digit or "#" is read as markup, never kept as written.
_MARKUP = re.compile(r"<[A-Za-z/!]|&[#A-Za-z0-9]")
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
    simple = _simple_html_to_text(markup)
    return simple if simple is not None else soup_text(markup)


def soup_text(markup: str) -> str:
    """html_to_text through BeautifulSoup, for any markup (the reference of the
    one-pass reading of simple markup below)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "html.parser")
    for hidden in soup(["script", "style", "template"]):
        hidden.decompose()
    for block in soup.find_all(BLOCK_ELEMENTS):
        block.insert_before(" ")
        block.insert_after(" ")
    return normalise_space(soup.get_text(""))


# -- the common case without BeautifulSoup -----------------------------------------
# A feed's summary is nearly always a few well-nested paragraphs, links and emphasis.
# There BeautifulSoup's tree is the markup's own nesting, so its text is the text
# between the tags with a space at each edge of a block element: read here in one
# pass, at a tenth of the cost (half a feed's parse time went to BeautifulSoup).
# Anything else (an unknown or unbalanced tag, a comment, a stray "<", an entity
# that is not plainly one character) goes to BeautifulSoup as before.
_INLINE = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "cite",
        "code",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "ins",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
    ]
)
_VOID = frozenset(["br", "hr", "img", "wbr"])
_SIMPLE_TAGS = (BLOCK_ELEMENTS | _INLINE | _VOID) - {"pre", "details", "summary", "form"}
_ATTRIBUTE = r"""(?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>`=]+))?)"""
_TAG = re.compile(rf"<(/?)([A-Za-z][A-Za-z0-9]*)({_ATTRIBUTE}*)\s*(/?)>")
_REFERENCE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z][A-Za-z0-9]*));")


def _simple_html_to_text(markup: str) -> str | None:
    """html_to_text of simple, well-nested markup; None when it is not that simple."""
    # pieces: text, then per tag its four groups and the text after it (re.split).
    pieces = _TAG.split(markup)
    texts = pieces[::5]
    if "<" in "".join(texts):
        return None
    spaces = _spaces(tuple(pieces[1::5]), tuple(pieces[2::5]), tuple(pieces[4::5]))
    if spaces is None:
        return None
    # Each text, then what its following tag leaves (" " at a block's edge, else "");
    # one text more than tags: the last follows.
    text = "".join(chain.from_iterable(zip(texts, spaces, strict=False))) + texts[-1]
    if "&" in text:
        text = _decode_references(text)
        if text is None:
            return None
    return normalise_space(text)


@lru_cache(maxsize=512)
def _spaces(
    closing: tuple[str, ...], names: tuple[str, ...], self_closing: tuple[str, ...]
) -> tuple[str, ...] | None:
    """What each tag of a sequence leaves in the text (" " at a block element's edge,
    else ""); None when the tags are not simple and well nested. A feed's summaries
    come from one template, so their sequence of tags repeats: read once per sequence."""
    spaces: list[str] = []
    open_tags: list[str] = []
    for is_closing, name, is_self_closing in zip(closing, names, self_closing, strict=True):
        name = name.lower()
        if name not in _SIMPLE_TAGS:
            return None
        if name in _VOID:
            if is_closing:
                return None
        elif is_closing:
            if is_self_closing or not open_tags or open_tags.pop() != name:
                return None
        elif is_self_closing:
            return None
        else:
            open_tags.append(name)
        spaces.append(" " if name in BLOCK_ELEMENTS else "")
    return None if open_tags else tuple(spaces)


def _decode_references(text: str) -> str | None:
    """Character references as one character each; None for anything less plain."""
    plain = True

    def character(match: re.Match) -> str:
        nonlocal plain
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            code = name2codepoint.get(name)
        else:
            code = int(decimal) if decimal is not None else int(hexadecimal, 16)
            # Controls, C1 (read as Windows-1252 by HTML), surrogates, beyond Unicode.
            if code < 32 or 127 <= code < 160 or 0xD800 <= code < 0xE000 or code > 0x10FFFF:
                code = None
        if code is None:
            plain = False
            return ""
        return chr(code)

    decoded, references = _REFERENCE.subn(character, text)
    # A reference holds one "&": any other "&" is not a plain reference.
    return decoded if plain and references == text.count("&") else None


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
