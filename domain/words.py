"""Words as people type them: search queries and keyword rules, one reading.

A search (`/coopnews search WORDS`) is a `SearchQuery`: words that must all
appear, and "quoted phrases" that must appear word for word. A keyword rule
(`matching WORDS`, `excluding WORDS`, `/coopnews follow WORDS`) is a
`Keywords`: a comma-separated list of such queries, any one of which is
enough. Both fold case and accents ("Agtas" finds "Agtaş") and treat words of
four letters or more as matching their plural or singular (a final "s"), so
a rule matches exactly what a search for the same term would find.

No regular expressions from users, ever: matching is set lookups over the
item's words, linear in the item's length, so no typed pattern can stall
the worker.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# Enough for any real query, and keeps a "More" button's value small.
MAX_QUERY_CHARS = 300
MAX_WORDS = 12
# Words at least this long also match their plural or singular: a final "s"
# added or removed ("cooperative" finds "cooperatives" and back).
PLURAL_MIN_CHARS = 4
# A keyword rule: at most this many terms, this many characters as typed.
MAX_TERMS = 20
MAX_KEYWORDS_CHARS = 1000

# Letters and digits; everything else separates, as FTS5's unicode61 does and
# PostgreSQL's search documents do (migration 0024 splits them at punctuation).
WORD = re.compile(r"[^\W_]+")
_QUOTED = re.compile(r'"([^"]*)"')
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"'})


# Compatibility characters folded to what they stand for before words are cut (Unicode
# decomposition tags, UnicodeData.txt field 5): superscripts and subscripts ("CO₂" is
# "co2"), vulgar fractions, circled and full-width letters and digits, mathematical
# letters; and, of the plain <compat> ones, those of the ligature, number-form and
# enclosed-alphanumeric blocks ("ﬁ" is "fi", "Ⅻ" "xii", "⒈" "1."). Others keep their
# form: "µ" is not "μ" to PostgreSQL's unaccent, though it is to NFKC.
_FOLDED_TAGS = frozenset(
    ["<super>", "<sub>", "<fraction>", "<circle>", "<wide>", "<narrow>", "<font>"]
)
_COMPAT_BLOCKS = ((0x2150, 0x218F), (0x2460, 0x24FF), (0xFB00, 0xFB4F))


@lru_cache(maxsize=4096)
def _compatibility_char(char: str) -> str:
    decomposition = unicodedata.decomposition(char)
    tag = decomposition.split(" ", 1)[0] if decomposition.startswith("<") else ""
    if tag in _FOLDED_TAGS or (
        tag == "<compat>" and any(a <= ord(char) <= b for a, b in _COMPAT_BLOCKS)
    ):
        char = unicodedata.normalize("NFKC", char)
    # A number that is neither a digit nor made of digits (a dingbat "❶"): no letter
    # or digit to either database's word reader, whatever Python's \w says.
    return "".join(" " if unicodedata.category(c) == "No" else c for c in char)


def fold_compatibility(text: str) -> str:
    """`text` with compatibility characters folded as both databases read them
    (_FOLDED_TAGS, _COMPAT_BLOCKS; other numbers (category No) a space), so a typed
    word finds on SQLite (FTS5 unicode61, which keeps "²" and "ｃ" as they are) what it
    finds on PostgreSQL (unaccent and its parser, which fold "ｃ" and drop "²"):
    "coop²" is "coop2", "ｃｏｏｐ" "coop", "ﬁnance" "finance", "coop❶" "coop ".
    The one reading of such characters for typed words (parse_query) and the items'
    words that rules match (folded_words)."""
    if text.isascii():
        return text
    return "".join(c if c.isascii() else _compatibility_char(c) for c in text)


@dataclass(frozen=True)
class SearchQuery:
    """What to look for: single words (AND-ed) and phrases (word sequences)."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)


def parse_query(text: str) -> SearchQuery:
    """Words and "quoted phrases" from what the user typed; never fails."""
    text = fold_compatibility((text or "")[:MAX_QUERY_CHARS].translate(_SMART_QUOTES))
    phrases: list[tuple[str, ...]] = []
    for quoted in _QUOTED.findall(text):
        phrase = tuple(w.casefold() for w in WORD.findall(quoted))
        if phrase:  # a quoted single word is a one-word phrase: exact, no plural
            phrases.append(phrase)
    rest = _QUOTED.sub(" ", text)
    words: list[str] = []
    for word in WORD.findall(rest):
        word = word.casefold()
        if word not in words:
            words.append(word)
    # At most MAX_WORDS words in all, phrases first (they were typed deliberately).
    budget = MAX_WORDS
    kept: list[tuple[str, ...]] = []
    for phrase in phrases:
        if budget <= 0:
            break
        kept.append(phrase[:budget])
        budget -= len(kept[-1])
    return SearchQuery(tuple(words[: max(0, budget)]), tuple(kept))


def variants(word: str) -> tuple[str, ...]:
    """The word, and its plural or singular by a final "s" when long enough."""
    if len(word) < PLURAL_MIN_CHARS:
        return (word,)
    if word.endswith("s") and not word.endswith("ss"):
        return (word, word[:-1])
    return (word, word + "s")


def fold(text: str) -> str:
    """Case and accents folded: 'Agtaş Économie' -> 'agtas economie'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def folded_words(text: str | None) -> tuple[str, ...]:
    """The words of a text, folded, in order."""
    return tuple(WORD.findall(fold(fold_compatibility(text or ""))))


@dataclass(frozen=True)
class Keywords:
    """A keyword rule: any one of its terms is enough.

    Each term is a folded `SearchQuery` (`fair trade` needs both words,
    `"fair trade"` needs them in sequence). `text` is the rule as it is
    shown back to people: terms joined with ", ".
    """

    terms: tuple[SearchQuery, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def text(self) -> str:
        return ", ".join(_term_text(term) for term in self.terms)


def _term_text(term: SearchQuery) -> str:
    parts = list(term.words) + [f'"{" ".join(p)}"' for p in term.phrases]
    return " ".join(parts)


def _split_terms(text: str) -> list[str]:
    """Split on commas outside double quotes."""
    terms, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return terms


def parse_keywords(text: str | Iterable[str]) -> Keywords:
    """A keyword rule from what was typed: `housing, "fair trade", Agtaş`.

    Accepts one string (comma-separated) or several (already split, e.g.
    from a form or from storage). Never fails: empty terms are dropped,
    duplicates kept once, at most MAX_TERMS terms of MAX_KEYWORDS_CHARS.
    """
    return Keywords(tuple(_terms(text)[:MAX_TERMS]))


def fits_a_rule(text: str) -> bool:
    """True when parse_keywords keeps all of `text`: at most MAX_KEYWORDS_CHARS
    characters and MAX_TERMS distinct terms (beyond either, it cuts)."""
    return len(text) <= MAX_KEYWORDS_CHARS and len(_terms(text)) <= MAX_TERMS


def _terms(text: str | Iterable[str]) -> list[SearchQuery]:
    pieces = [text] if isinstance(text, str) else list(text)
    terms: list[SearchQuery] = []
    for piece in pieces:
        piece = (piece or "")[:MAX_KEYWORDS_CHARS].translate(_SMART_QUOTES)
        for raw in _split_terms(piece):
            query = parse_query(fold(raw))
            if query and query not in terms:
                terms.append(query)
    return terms


class ItemWords:
    """An item's title and summary read once, for checking many rules against it."""

    __slots__ = ("sequence", "present")

    def __init__(self, *texts: str | None) -> None:
        words: list[str] = []
        for text in texts:
            # A boundary between fields, so a phrase never spans title and summary.
            words.extend(folded_words(text))
            words.append("")
        self.sequence = tuple(words)
        self.present = frozenset(words)

    def has_word(self, word: str) -> bool:
        return any(form in self.present for form in variants(word))

    def has_phrase(self, phrase: tuple[str, ...]) -> bool:
        if not all(word in self.present for word in phrase):
            return False
        n = len(phrase)
        first = phrase[0]
        seq = self.sequence
        return any(seq[i] == first and seq[i : i + n] == phrase for i in range(len(seq) - n + 1))

    def matches(self, query: SearchQuery) -> bool:
        """Every word (or its plural/singular) and every phrase is present."""
        return (
            bool(query)
            and all(self.has_word(w) for w in query.words)
            and all(self.has_phrase(p) for p in query.phrases)
        )

    def matches_any(self, keywords: Keywords) -> bool:
        """True when at least one term of the rule matches (False for an empty rule)."""
        return any(self.matches(term) for term in keywords.terms)
