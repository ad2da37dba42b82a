"""The store: named operations over items. Callers own the session."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import identity
from domain.items import ItemDraft
from domain.text import fit
from storage import categories, limits
from storage.categories import category_key, category_spelling
from storage.models import Item

MAX_LATEST = 20


@dataclass
class AddResult:
    added: list[int] = field(default_factory=list)
    already_present: int = 0
    # Items whose entry the source corrected (title, summary or link): messages
    # already posted showing them should be updated.
    corrected: list[int] = field(default_factory=list)




def batches(items: Iterable, size: int):
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def item_row(
    draft: ItemDraft,
    fingerprint: str,
    now: datetime,
    link_key: str | None = None,
    title_key: str | None = None,
) -> dict:
    """The items row of a new draft (a Core insert: the identity keys are set here,
    from the given ones when the caller already computed them)."""
    # NFC, spaces folded; no source can overflow a column.
    category = fit(category_spelling(draft.category), limits.CATEGORY)
    return {
        "created_at": now,
        "updated_at": now,
        "title": fit(draft.title, limits.TITLE),
        "url": limits.usable_url(draft.url),
        "category": category,
        "category_key": category_key(category),
        "summary": fit(draft.summary, limits.SUMMARY),
        "published_at": draft.published_at,
        "origin": draft.origin,
        "fingerprint": fingerprint,
        "link_key": link_key or identity.link_key(draft.url),
        "title_key": title_key or identity.title_key(draft.title, draft.published_at),
    }


def latest(
    session: Session, n: int = 5, category: str | None = None, offset: int = 0
) -> Sequence[Item]:
    """The n newest visible items (optionally of one category), newest first."""
    return latest_page(session, n, category, offset)[0]


def latest_page(
    session: Session,
    n: int = 5,
    category: str | None = None,
    offset: int = 0,
    cap: int = MAX_LATEST,
    published_by: datetime | None = None,
    exclude_id: int | None = None,
) -> tuple[Sequence[Item], bool]:
    """`latest`, and whether older items remain (one query: it reads one row more).

    `n` is held to 1..`cap` (Slack's 20 unless the caller, e.g. the terminal, says more).
    `published_by`: only items dated no later (the public page hides items dated ahead).
    `exclude_id`: an item left out of every page (the featured one, shown apart).
    """
    n = max(1, min(n, cap))
    stmt = select(Item).where(Item.retracted_at.is_(None))
    if published_by is not None:
        stmt = stmt.where(Item.published_at <= published_by)
    if category:
        stmt = stmt.where(Item.category_key == category_key(category))
    if exclude_id is not None:
        stmt = stmt.where(Item.id != exclude_id)
    stmt = stmt.order_by(Item.published_at.desc(), Item.id.desc()).offset(offset).limit(n + 1)
    items = session.scalars(stmt).all()
    return items[:n], len(items) > n


def count_items(session: Session) -> int:
    """How many items are visible, from the maintained category counts (no scan)."""
    return categories.visible_count(session)
