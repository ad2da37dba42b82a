"""Categories: their keys, their spelling, how many visible items each has.

The one module that knows how categories are stored. A category's key is its
name compared the way Unicode compares names caselessly (`category_key`:
NFKC, case-folded, invisible characters dropped, any whitespace one space;
`latest`, subscriptions, follows and feeds filter by it); its spelling is the one most recently stored among its visible items ("COOP
Champions", not "coop champions"). Counts are kept by triggers on items
(migration 0011) as signed deltas in `category_counts`, so every read here
costs the size of the category list, not of the archive. Callers get lists
and dicts of names, never a stored format. Callers own the session.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from domain.text import fit, remove_control_characters
from storage import counts as kept_counts
from storage import limits
from storage.counts import due
from storage.counts import fold as fold_table
from storage.models import CategoryDelta

log = logging.getLogger(__name__)

NONE_KEY = ""  # the key of items without a category


# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters that
# show nothing (soft hyphen, zero-width space/joiners, bidi marks, word joiner, BOM,
# variation selectors, Hangul fillers, tags). toNFKC_Casefold drops them too.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def _caseless(text: str) -> str:
    # Unicode 15 §3.13 D145 (compatibility caseless match):
    # NFKD(casefold(NFKD(casefold(NFD(X))))), composed again (NFC) to store compactly.
    # Invisible characters go first: dropped later, they could leave marks uncomposed.
    text = unicodedata.normalize("NFD", _IGNORABLE.sub("", text)).casefold()
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKD", text).casefold())
    return " ".join(folded.split())


@lru_cache(maxsize=8192)  # imports repeat a few categories many times
def category_key(category: str | None) -> str | None:
    """The key a category is matched by (str, at most limits.CATEGORY characters),
    None for a blank one (nothing but spaces and invisible characters).

    Unicode's compatibility caseless match (The Unicode Standard §3.13, D145):
    "Énergie" precomposed or as E + U+0301, "ÉNERGIE", full-width "Ｅｎｅｒｇｉｅ" and
    "energie" with a soft hyphen or zero-width space inside all have the key
    "énergie"; "Straße" and "STRASSE" both "strasse". NFKC, not NFC: names that
    only compatibility forms tell apart (full-width letters, ligatures, NBSP)
    look the same to a reader, so they are one category. Default-ignorable
    characters (_IGNORABLE) are dropped; whitespace of any kind (tabs, newlines,
    NBSP, ideographic space, runs) is one ASCII space, none at the ends. No
    locale: "I" folds to "i" also for Turkish names ("İ" keeps its dot: "i̇").
    Idempotent: the key of a key is itself (migration 0020 relies on it). A name
    longer than limits.CATEGORY once spelled is keyed as it is stored: cut by
    domain.text.fit (so typed in full, or as stored, it is one category).
    """
    if not category:
        return None
    if len(category) > limits.CATEGORY:
        # A name longer than a stored one is stored cut (storage.store.item_row: fit,
        # an ellipsis at a word boundary) and keyed from that: key it the same way, so
        # the name typed in full, as its feed spells it, finds its items.
        spelling = _spelled(category)
        if len(spelling) > limits.CATEGORY:
            category = fit(spelling, limits.CATEGORY)
    if category.isascii():
        key = " ".join(category.lower().split())
    else:
        key = _caseless(category)
        if len(key) > limits.CATEGORY:  # folding can lengthen ("ß" -> "ss", "ﷺ")
            key = _caseless(key[: limits.CATEGORY])
    return key[: limits.CATEGORY].rstrip() or None  # cut: no space left at the end


@lru_cache(maxsize=8192)
def category_spelling(category: str | None) -> str | None:
    """A category's spelling as stored and shown: NFC (so "Énergie" is one code
    point, whatever the source's editor wrote), control characters and the bidi
    embedding/override/isolate controls removed (domain.text.remove_control_characters:
    one left open would reverse the text shown around the name), whitespace of any
    kind one space, trimmed; None where the key is None (blank or only invisible
    characters)."""
    if category_key(category) is None:
        return None
    assert category is not None
    return _spelled(category)


def _spelled(category: str) -> str:
    if category.isascii():
        return " ".join(category.split())
    spelled = unicodedata.normalize("NFC", remove_control_characters(category))
    return " ".join(spelled.split())


@dataclass(frozen=True)
class CategoryCount:
    name: str  # as items spell it
    count: int  # visible items


@dataclass(frozen=True)
class CategoryList:
    """Every category with its count, largest first (ties by key), and the items
    that have none."""

    counted: list[CategoryCount]
    uncategorised: int
    spellings: dict[str, str]  # key -> spelling, in key order

    @property
    def total(self) -> int:
        return self.uncategorised + sum(c.count for c in self.counted)


def category_list(session: Session) -> CategoryList:
    """All categories of visible items, from the maintained counts (one small read; it
    also says how many delta rows it summed, so no other query asks whether to fold)."""
    rows = session.execute(
        select(
            CategoryDelta.category_key,
            CategoryDelta.category,
            func.sum(CategoryDelta.delta),
            func.max(case((CategoryDelta.delta > 0, CategoryDelta.id), else_=0)),
            func.count(),
        ).group_by(CategoryDelta.category_key, CategoryDelta.category)
    ).all()
    fold_if_due(session, deltas=sum(row[4] for row in rows))
    counts: dict[str, int] = {}
    newest: dict[str, tuple[int, str]] = {}  # key -> (row id, spelling)
    for key, spelling, total, last_id, _ in rows:
        if total <= 0:
            continue
        counts[key] = counts.get(key, 0) + total
        if key not in newest or last_id > newest[key][0]:
            newest[key] = (last_id, spelling)
    uncategorised = counts.pop(NONE_KEY, 0)
    spellings = {key: newest[key][1] for key in sorted(counts)}
    counted = [
        CategoryCount(spellings[key], n)
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return CategoryList(counted, uncategorised, spellings)


def spellings(session: Session, limit: int | None = None) -> dict[str, str]:
    """Category key -> spelling, in key order, at most `limit`."""
    found = category_list(session).spellings
    return dict(list(found.items())[:limit]) if limit is not None else found


def names(session: Session, limit: int | None = None) -> list[str]:
    """Category names as items spell them, by name (case-insensitive), at most `limit`
    (the first by key)."""
    return sorted(spellings(session, limit).values(), key=str.casefold)


def has_category(session: Session, category: str) -> bool:
    return category_key(category) in category_list(session).spellings


def visible_count(session: Session) -> int:
    """How many items are visible (not retracted), from the maintained counts."""
    return category_list(session).total


def fold_if_due(session: Session, deltas: int | None = None) -> None:
    """Fold now, in a transaction of its own, when writes that bypass `add_items`
    (a bulk load, many edits) left many deltas: reads stay small. `deltas`: how many
    rows the caller just summed (then no query asks; FOLD_AFTER or more folds).
    Best effort: a read-only or busy database leaves the deltas as they are (counts
    stay right)."""
    from storage.models import SourceItemDelta

    tables = (CategoryDelta.__table__, SourceItemDelta.__table__)
    if deltas is not None and deltas < kept_counts.FOLD_AFTER:
        return
    if _holds_sqlite_writes(session) or not due(session, *tables):
        return
    try:
        with Session(session.get_bind()) as writer, writer.begin():
            fold(writer)
    except SQLAlchemyError as exc:
        log.warning("count deltas not folded now: %s", exc)
        return
    # PostgreSQL: the fold left the deleted deltas' pages in the files (counts.compact).
    for table in tables:
        try:
            with Session(session.get_bind()) as writer, writer.begin():
                kept_counts.compact(writer, table)
        except SQLAlchemyError as exc:  # another transaction writes deltas: next time
            log.info("count table %s not compacted now: %s", table.name, exc)


def _holds_sqlite_writes(session: Session) -> bool:
    """SQLite allows one writer: a fold on another connection would wait for this one."""
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return False
    return bool(session.connection().connection.dbapi_connection.in_transaction)


def fold(session: Session, force: bool = False) -> int | None:
    """Fold the count deltas (storage.counts.fold): categories, and sources' items."""
    from storage.models import SourceItemDelta

    fold_table(session, SourceItemDelta.__table__, ["source_id"], force)
    return fold_table(session, CategoryDelta.__table__, ["category_key", "category"], force)


# -- a subscription's choice of categories ------------------------------------------
# Stored as names separated by newlines (one per key, as first typed); None: all.
def encode_choice(names: Iterable[str] | None) -> str | None:
    chosen: dict[str, str] = {}
    for name in names or ():
        key = category_key(name)
        if key and key not in chosen:
            chosen[key] = category_spelling(name) or key
    return "\n".join(chosen[k] for k in sorted(chosen)) or None


def decode_choice(stored: str | None) -> list[str]:
    """The names a subscription chose, as typed (older rows hold keys)."""
    return [c for c in (stored or "").split("\n") if c.strip()]


def choice_keys(stored: str | None) -> set[str]:
    return {key for key in map(category_key, decode_choice(stored)) if key}


def spelled(names: Iterable[str], known: Mapping[str, str]) -> list[str]:
    """Names as items spell them where items have them, else as given."""
    return [known.get(category_key(name) or "", name) for name in names]
