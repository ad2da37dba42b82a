"""Feature / Unfeature from an item's admin menu (bot/listeners/actions/curation.py,
behind `deps.require_admin`): write through storage/featured.py, then tell the
admin in a notice modal what is featured now and until when."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.text import LABEL_MAX, escape_within, slack_time
from bot.curation.modals import open_notice
from bot.deps import Deps
from storage import curation, featured
from storage.db import describe_failure

log = logging.getLogger(__name__)


def set_featured(
    client: WebClient, deps: Deps, trigger_id: str, user_id: str, item_id: int, on: bool
) -> None:
    """Feature `item_id` (replacing any other) or stop featuring it; audited."""
    try:
        with deps.db.transaction() as session:
            item = curation.visible_item(session, item_id)
            if item is None:
                title, text = "Item gone", "That item was already deleted."
            elif on:
                until = featured.feature(session, item, user_id)
                title = "Featured"
                text = (
                    f":star: “{escape_within(item.title, LABEL_MAX)}” is featured until "
                    f"{slack_time(until)}: shown first in `latest`, App Home and digests. "
                    "It replaces any item featured before."
                )
            elif featured.unfeature(session, item, user_id):
                title = "Unfeatured"
                text = f"“{escape_within(item.title, LABEL_MAX)}” is no longer featured."
            else:
                title, text = "Not featured", "That item was not the featured one: nothing changed."
    except SQLAlchemyError as exc:
        log.exception("featuring item %s failed", item_id)
        title, text = "Not changed", f"coopnews could not save this: {describe_failure(exc)}."
    open_notice(client, trigger_id, title, text)
