"""An item about to be stored, and its content fingerprint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from domain.identity import normalise_text


@dataclass(frozen=True)
class ItemDraft:
    """An item about to be stored, and the entry it comes from.

    `key` is the entry's key within its source (guid as written, else link,
    else title and date; `key_kind` says which: "guid", "link", "content");
    `entry_date` is its date as written. Drafts without a key (tests, benches)
    use their fingerprint as key. `fingerprint` is optional: without one, the
    new item's is derived from its scope, key and content.
    """

    title: str
    published_at: datetime
    origin: str
    fingerprint: str | None = None
    url: str | None = None
    category: str | None = None
    summary: str | None = None
    key: str | None = None
    key_kind: str = "content"
    entry_date: str | None = None



def fingerprint(*parts: str | None) -> str:
    joined = "\x1f".join(normalise_text(p or "") for p in parts)
    return hashlib.sha256(joined.encode()).hexdigest()
