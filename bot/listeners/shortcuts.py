"""The message shortcut "Suggest to coopnews" (callback_id suggest_to_coopnews).

Open to everyone: it writes nothing itself. It opens the item form pre-filled
from the message's first link: an admin's saves an item (the item form's
submission checks rights), a member's stores a suggestion (bot/curation/desk.py).
"""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks.items import notice_message
from bot.blocks.suggestions import SUGGEST_SHORTCUT
from bot.curation import desk
from bot.curation.modals import tell_admin
from bot.deps import Deps
from bot.slack_text import message_link


def register(app: App, deps: Deps) -> None:
    @app.shortcut(SUGGEST_SHORTCUT)
    def suggest_from_message(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        user_id = (body.get("user") or {}).get("id") or ""
        channel_id = (body.get("channel") or {}).get("id")
        url = message_link(body.get("message"))
        if not url:
            tell_admin(client, user_id, channel_id, notice_message(desk.NO_LINK))
            return
        is_admin = deps.admins.is_admin(user_id)
        if not is_admin and desk.too_many_pending(deps, user_id):
            tell_admin(client, user_id, channel_id, notice_message(desk.too_many_text()))
            return
        desk.open_prefilled_form(
            client, deps, body.get("trigger_id") or "", user_id, url, channel_id, is_admin
        )
