"""Publishing scheduled items whose time has come (each announcement pass, first).

Each due row is published in its own transaction (storage.scheduled.publish:
claimed by a conditional UPDATE, added through the item form's path), so one
bad row does not hold back the others, two workers never publish one row
twice, and a pass killed half-way leaves the row pending for the next. A row
that can no longer be published (an item with its link or title and day was
added meanwhile) is marked failed and its admin gets a DM.
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.scheduled import publish_failed_notice
from bot.deps import Deps
from storage import scheduled
from storage.curation import DuplicateItem
from storage.types import utcnow

log = logging.getLogger(__name__)


def publish_due(deps: Deps, now: datetime | None = None) -> list[int]:
    """Publish every pending row due at `now`; returns the new items' ids."""
    now = now or utcnow()
    try:
        with deps.db.reading() as session:
            due = scheduled.due_ids(session, now)
    except SQLAlchemyError:
        log.exception("could not read the scheduled items; the next pass retries")
        return []
    published = []
    for scheduled_id in due:
        item_id = publish_one(deps, scheduled_id)
        if item_id is not None:
            published.append(item_id)
    return published


def publish_one(deps: Deps, scheduled_id: int, actor: str | None = None) -> int | None:
    """Publish one row now; the new item's id, or None (taken by another worker,
    failed and reported, or left pending after a database error)."""
    try:
        with deps.db.transaction() as session:
            item = scheduled.publish(session, scheduled_id, actor)
            item_id = item.id if item is not None else None
    except DuplicateItem as duplicate:
        what = "link" if duplicate.field == "link" else "title on that date"
        _fail(deps, scheduled_id, f"an item with the same {what} is already in coopnews")
        return None
    except Exception:  # the database, or anything else: rolled back, the row stays pending
        log.exception("publishing scheduled item %s failed; the next pass retries", scheduled_id)
        return None
    if item_id is not None:
        log.info("published scheduled item %s as item %s", scheduled_id, item_id)
    return item_id


def _fail(deps: Deps, scheduled_id: int, error: str) -> None:
    with deps.db.transaction() as session:
        row = scheduled.mark_failed(session, scheduled_id, error)
        message = publish_failed_notice(row, error) if row is not None else None
        who = row.created_by if row is not None else None
    if message is None:
        return
    log.warning("scheduled item %s not published: %s", scheduled_id, error)
    try:
        deps.client.chat_postMessage(channel=who, **message)
    except SlackApiError as exc:
        log.warning("could not tell %s: %s", who, exc.response.get("error"))
