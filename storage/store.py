"""The store: named operations over items. Callers own the session."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Item

MAX_LATEST = 20
_CHUNK = 500


@dataclass(frozen=True)
class ItemDraft:
    """An item about to be stored; `fingerprint` is its content identity."""

    title: str
    published_at: datetime
    origin: str
    fingerprint: str
    url: str | None = None
    category: str | None = None
    summary: str | None = None


@dataclass
class AddResult:
    added: list[int] = field(default_factory=list)
    already_present: int = 0


def category_key(category: str | None) -> str | None:
    return category.strip().casefold() if category and category.strip() else None


def normalise_text(text: str) -> str:
    """Case-, accent-, punctuation- and whitespace-insensitive form used for identity."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = (c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in kept).split())


def fingerprint(*parts: str | None) -> str:
    joined = "\x1f".join(normalise_text(p or "") for p in parts)
    return hashlib.sha256(joined.encode()).hexdigest()


def _insert_for(session: Session):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(Item)
    if dialect == "sqlite":
        return sqlite.insert(Item)
    raise RuntimeError(f"unsupported database: {dialect}")


def add_items(session: Session, drafts: Iterable[ItemDraft]) -> AddResult:
    """Store drafts not yet present (by fingerprint); never adds one twice.

    Safe against a concurrent import of the same page: the unique
    fingerprint and ON CONFLICT DO NOTHING settle races in the database.
    """
    result = AddResult()
    unique: dict[str, ItemDraft] = {}
    for draft in drafts:
        if draft.fingerprint in unique:
            result.already_present += 1
        else:
            unique[draft.fingerprint] = draft
    pending = list(unique.values())
    for start in range(0, len(pending), _CHUNK):
        chunk = pending[start : start + _CHUNK]
        existing = set(
            session.scalars(
                select(Item.fingerprint).where(Item.fingerprint.in_([d.fingerprint for d in chunk]))
            )
        )
        rows = [_row(d) for d in chunk if d.fingerprint not in existing]
        result.already_present += len(chunk) - len(rows)
        if not rows:
            continue
        stmt = _insert_for(session).on_conflict_do_nothing(index_elements=["fingerprint"])
        ids = list(session.scalars(stmt.returning(Item.id), rows))
        result.already_present += len(rows) - len(ids)
        result.added.extend(ids)
    return result


def _row(draft: ItemDraft) -> dict:
    return {
        "title": draft.title,
        "url": draft.url,
        "category": draft.category,
        "category_key": category_key(draft.category),
        "summary": draft.summary,
        "published_at": draft.published_at,
        "origin": draft.origin,
        "fingerprint": draft.fingerprint,
    }


def latest(
    session: Session, n: int = 5, category: str | None = None, offset: int = 0
) -> Sequence[Item]:
    """The n newest visible items (optionally of one category), newest first."""
    n = max(1, min(n, MAX_LATEST))
    stmt = select(Item).where(Item.retracted_at.is_(None))
    if category:
        stmt = stmt.where(Item.category_key == category_key(category))
    stmt = stmt.order_by(Item.published_at.desc(), Item.id.desc()).offset(offset).limit(n)
    return session.scalars(stmt).all()


def count_items(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Item).where(Item.retracted_at.is_(None)))


def has_category(session: Session, category: str) -> bool:
    key = category_key(category)
    stmt = select(Item.id).where(Item.category_key == key, Item.retracted_at.is_(None)).limit(1)
    return session.scalar(stmt) is not None


def get_item(session: Session, item_id: int) -> Item | None:
    return session.get(Item, item_id)
