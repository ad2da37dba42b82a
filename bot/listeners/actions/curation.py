"""Clicks on curation controls: App Home's "Add item", an item's Edit/Delete/Feature menu.

Anyone can forge a click: both are registered with `deps.require_admin`, which
checks admin rights on the server before they run.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks.curation import (
    EDIT,
    FEATURE,
    ITEM_MENU,
    OPEN_ADD_ITEM,
    UNFEATURE,
    FormContext,
    delete_confirm_view,
    parse_menu_value,
)
from bot.curation.featuring import set_featured
from bot.curation.modals import open_item_form, open_notice
from bot.deps import Deps
from storage import curation

log = logging.getLogger(__name__)


def channel_of(body: dict) -> str | None:
    """Where the click happened (None in App Home): confirmations go there."""
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    return channel.get("id") or container.get("channel_id") or None


def register(app: App, deps: Deps) -> None:
    @app.action(OPEN_ADD_ITEM, middleware=[deps.require_admin])
    def open_add_item(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        context = FormContext(channel_id=channel_of(body))
        open_item_form(client, deps, body["trigger_id"], user_id, context)

    @app.action(ITEM_MENU, middleware=[deps.require_admin])
    def item_menu_chosen(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        trigger_id = body.get("trigger_id")
        choice = parse_menu_value((action.get("selected_option") or {}).get("value"))
        if choice is None or not trigger_id:
            log.warning("ignored a malformed item menu action from %s", user_id)
            return
        verb, item_id = choice
        with deps.db.reading() as session:
            item = curation.visible_item(session, item_id)
        if item is None:
            open_notice(client, trigger_id, "Item gone", "That item was already deleted.")
            return
        context = FormContext(item_id=item.id, channel_id=channel_of(body))
        if verb in (FEATURE, UNFEATURE):
            set_featured(client, deps, trigger_id, user_id, item_id, verb == FEATURE)
        elif verb == EDIT:
            open_item_form(client, deps, trigger_id, user_id, context, item)
        else:
            client.views_open(trigger_id=trigger_id, view=delete_confirm_view(item, context))
