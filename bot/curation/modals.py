"""Opening the curation modals and telling the admin what happened."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.curation import FormContext, item_form_view, notice_view
from bot.deps import Deps
from storage import categories
from storage.models import Item, ScheduledItem

log = logging.getLogger(__name__)
# A static_select holds at most 100 options (Block Kit reference).
MAX_CATEGORIES = 100


def local_today(deps: Deps, user_id: str) -> date:
    """Today where the admin is (users.info tz, cached), for the datepicker's default."""
    name = deps.users.timezone(user_id)
    try:
        zone = ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return datetime.now(zone).date()


def open_item_form(
    client: WebClient,
    deps: Deps,
    trigger_id: str,
    user_id: str,
    context: FormContext,
    item: Item | ScheduledItem | None = None,
    publish_at: datetime | None = None,
) -> None:
    with deps.db.reading() as session:
        names = categories.names(session, MAX_CATEGORIES)
    view = item_form_view(names, local_today(deps, user_id), context, item, publish_at)
    client.views_open(trigger_id=trigger_id, view=view)


def open_notice(client: WebClient, trigger_id: str, title: str, text: str) -> None:
    client.views_open(trigger_id=trigger_id, view=notice_view(title, text))


def tell_admin(client: WebClient, user_id: str, channel_id: str | None, message: dict) -> None:
    """Only the admin sees it: ephemeral where they started, else in the app's DM.

    Best effort: the change is committed by now, and a failed confirmation must
    not look like a failed save.
    """
    if channel_id:
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, **message)
            return
        except SlackApiError as exc:  # e.g. the bot is not in that channel
            log.info("ephemeral confirmation failed (%s); sending a DM", exc.response.get("error"))
    try:
        client.chat_postMessage(channel=user_id, **message)
    except SlackApiError as exc:
        log.warning("could not confirm to %s: %s", user_id, exc.response.get("error"))
