"""Correcting what was already posted: chat.update for every message showing an item.

Runs after the change is committed. A message Slack no longer has (deleted,
channel archived, bot removed) is logged and skipped: the correction stands.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.announce import announcement_message, digest_message, retraction_message
from storage import curation
from storage.db import Database
from storage.models import Item

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageUpdate:
    channel_id: str
    message_ts: str
    message: dict


def planned_updates(db: Database, item_id: int) -> list[MessageUpdate]:
    """What each message showing the item should now say (reads the committed state)."""
    updates = []
    with db.reading() as session:
        item = session.get(Item, item_id)
        if item is None:
            return []
        retracted = item.retracted_at is not None
        for posted in curation.posted_messages(session, item_id):
            if posted.digest:
                others = curation.digest_items(session, posted.channel_id, posted.message_ts)
                message = digest_message(others) if others else retraction_message(item)
            else:
                message = retraction_message(item) if retracted else announcement_message(item)
            updates.append(MessageUpdate(posted.channel_id, posted.message_ts, message))
    return updates


def update_posted(client: WebClient, db: Database, item_id: int) -> int:
    """Apply the updates; returns how many messages Slack accepted."""
    done = 0
    for update in planned_updates(db, item_id):
        message = update.message
        try:
            client.chat_update(
                channel=update.channel_id,
                ts=update.message_ts,
                text=message["text"],
                blocks=message["blocks"],
                metadata=message.get("metadata"),
            )
            done += 1
        except SlackApiError as exc:
            log.warning(
                "could not update message %s in %s for item %s: %s",
                update.message_ts,
                update.channel_id,
                item_id,
                exc.response.get("error"),
            )
    return done
