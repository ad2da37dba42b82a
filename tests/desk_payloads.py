"""Slack's payloads for the desk, as Slack sends them: the message shortcut
(message_action) and clicks on suggestion buttons (block_actions)."""

from __future__ import annotations

import time

from tests.curation_payloads import user


def message_shortcut(
    user_id: str,
    text: str,
    *,
    channel_id: str = "CNEWS",
    trigger_id: str = "6000.1.shortcut",
    callback_id: str = "suggest_to_coopnews",
) -> dict:
    """A message shortcut on a message whose text (Slack's mrkdwn wire form) is `text`."""
    return {
        "type": "message_action",
        "token": "legacy-unused",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": "T0001", "domain": "coop"},
        "user": user(user_id),
        "channel": {"id": channel_id, "name": "news"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": "",
        "message_ts": "1700000100.000200",
        "message": {
            "type": "message",
            "user": "UWRITER",
            "ts": "1700000100.000200",
            "text": text,
            "team": "T0001",
        },
    }


def suggestion_click(
    user_id: str,
    action_id: str,
    value: str,
    *,
    channel_id: str | None = None,
    message_ts: str = "1700000000.000100",
    trigger_id: str = "6100.1.click",
) -> dict:
    """A button on a suggestion: in App Home (no channel_id), or on a review channel's message."""
    payload = {
        "type": "block_actions",
        "user": user(user_id),
        "api_app_id": "A0001",
        "token": "legacy-unused",
        "trigger_id": trigger_id,
        "team": {"id": "T0001", "domain": "coop"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"suggestion-actions-{value}",
                "text": {"type": "plain_text", "text": action_id},
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if channel_id is None:
        payload["container"] = {"type": "view", "view_id": "VHOME"}
        payload["view"] = {"id": "VHOME", "type": "home", "callback_id": "", "private_metadata": ""}
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel_id, "name": "review"}
        payload["message"] = {"type": "message", "ts": message_ts, "text": "Suggestion"}
    return payload
