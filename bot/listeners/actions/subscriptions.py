"""The Edit button of `/coopnews subscriptions`: opens the channel's rules form.

Registered with `deps.require_admin` (a click can be forged by anyone).
"""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks.subscriptions import EDIT_RULES_ACTION
from bot.deps import Deps
from bot.rules_form import open_rules_form


def register(app: App, deps: Deps) -> None:
    @app.action(EDIT_RULES_ACTION, middleware=[deps.require_admin])
    def edit_rules(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        open_rules_form(client, deps, body.get("trigger_id") or "", action.get("value") or "")
