"""What Block Kit builders read from each entity: one Protocol per entity.

Builders are pure functions over these shapes, so they import no storage code;
the SQLAlchemy models (storage/models.py) satisfy them, as do test doubles.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class ItemLike(Protocol):
    """An item (storage.models.Item, or any object with these fields)."""

    id: int
    title: str
    url: str | None
    category: str | None
    summary: str | None

    @property
    def published_at(self): ...


class SourceLike(Protocol):
    """A followed source (storage.models.Source)."""

    id: int
    url: str
    feed_url: str | None
    kind: str | None
    title: str | None
    category: str | None
    interval_seconds: int
    paused_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    failures: int
    next_poll_at: datetime | None
    retry_after_until: datetime | None


class SourceHealthLike(Protocol):
    """A source as App Home lists it, with how many items it brought."""

    url: str
    title: str | None
    paused_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    failures: int
    items: int


class SubscriptionLike(Protocol):
    """A channel's subscription as listed (storage.subscriptions.ListedSubscription)."""

    channel_id: str
    categories: Sequence[str]  # as items spell them; empty: every category
    mode: str
    schedule: str | None
    timezone: str | None
    paused_at: datetime | None
    problem: str | None
    last_posted_at: datetime | None


class AuditLike(Protocol):
    """One line of the audit trail (storage.models.AuditEntry)."""

    at: datetime
    user_id: str
    action: str
    item_id: int | None
    item_title: str
    details: str | None


class ScheduledLike(Protocol):
    """An item waiting for its time (storage.models.ScheduledItem)."""

    id: int
    title: str
    url: str | None
    category: str | None
    publish_at: datetime
    created_by: str

    @property
    def published_at(self): ...
