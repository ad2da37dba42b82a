"""Submission of the channel rules form (bot/blocks/rules_form.py).

Registered with `deps.require_admin`: anyone can forge a view_submission, so
rights are checked on the server before this runs. The choices are read by
bot/channel_rules.py like typed text; an error goes back under its field
(`response_action: errors`) and nothing changes. Once stored, the channel is
told what its rules now are and what changed, as after the command.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.rules_form import RULES_FORM, read_choice
from bot.channel_rules import RuleError, rules_from_form
from bot.channel_subscribe import subscribe_channel
from bot.deps import Deps

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.view(RULES_FORM, middleware=[deps.require_admin])
    def save_rules(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        channel_id = view.get("private_metadata") or ""
        user_id = (body.get("user") or {}).get("id") or ""
        try:
            rules = rules_from_form(read_choice((view.get("state") or {}).get("values") or {}))
            done = subscribe_channel(deps, client, channel_id, user_id, rules)
        except RuleError as exc:
            ack(response_action="errors", errors={exc.field: str(exc)[:1000]})
            return
        ack()
        try:
            client.chat_postMessage(channel=channel_id, **done.message)
        except SlackApiError as exc:  # saved all the same; the admin sees it in the list
            log.warning(
                "could not confirm the rules in %s: %s", channel_id, exc.response.get("error")
            )
