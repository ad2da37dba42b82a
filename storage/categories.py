"""Categories: their keys, their spelling, how many visible items each has.

The one module that knows how categories are stored. A category's key is its
name trimmed and case-folded (`latest`, subscriptions and feeds filter by it);
its spelling is the one most recently stored among its visible items ("COOP
Champions", not "coop champions"). Counts are kept by triggers on items
(migration 0011) as signed deltas in `category_counts`, so every read here
costs the size of the category list, not of the archive. Callers get lists
and dicts of names, never a stored format. Callers own the session.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from storage import counts as kept_counts
from storage.counts import due
from storage.counts import fold as fold_table
from storage.models import CategoryDelta

log = logging.getLogger(__name__)

NONE_KEY = ""  # the key of items without a category


def category_key(category: str | None) -> str | None:
    """The key a category filters by: trimmed and case-folded; None for a blank one."""
    return category.strip().casefold() if category and category.strip() else None


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
            chosen[key] = " ".join(name.split())
    return "\n".join(chosen[k] for k in sorted(chosen)) or None


def decode_choice(stored: str | None) -> list[str]:
    """The names a subscription chose, as typed (older rows hold keys)."""
    return [c for c in (stored or "").split("\n") if c.strip()]


def choice_keys(stored: str | None) -> set[str]:
    return {key for key in map(category_key, decode_choice(stored)) if key}


def spelled(names: Iterable[str], known: Mapping[str, str]) -> list[str]:
    """Names as items spell them where items have them, else as given."""
    return [known.get(category_key(name) or "", name) for name in names]
