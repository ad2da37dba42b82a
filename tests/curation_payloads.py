"""Slack's interactivity payloads for curation, as Slack sends them (block_actions,
view_submission), built from the views the app itself opened."""

from __future__ import annotations

import time


def user(user_id: str) -> dict:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": "T0001"}


def form_values(
    title: str | None = "Worker co-ops grow in Kenya",
    link: str | None = None,
    category: str | None = None,
    new_category: str | None = None,
    date: str | None = "2026-11-20",
    summary: str | None = None,
    publish_at: int | None = None,
) -> dict:
    """view.state.values for the item modal, in Slack's shapes per element type
    (`publish_at`: the datetimepicker's UNIX timestamp, None when left empty)."""
    selected = (
        {"text": {"type": "plain_text", "text": category, "emoji": True}, "value": category}
        if category
        else None
    )
    return {
        "title": {"title_input": {"type": "plain_text_input", "value": title}},
        "link": {"link_input": {"type": "url_text_input", "value": link}},
        "category": {"category_select": {"type": "static_select", "selected_option": selected}},
        "new_category": {"new_category_input": {"type": "plain_text_input", "value": new_category}},
        "date": {"date_picker": {"type": "datepicker", "selected_date": date}},
        "summary": {"summary_input": {"type": "plain_text_input", "value": summary}},
        "publish_at": {
            "publish_at_picker": {"type": "datetimepicker", "selected_date_time": publish_at}
        },
    }


def view_submission(
    user_id: str, callback_id: str, private_metadata: str = "", values: dict | None = None
) -> dict:
    return {
        "type": "view_submission",
        "team": {"id": "T0001", "domain": "coop"},
        "user": user(user_id),
        "api_app_id": "A0001",
        "token": "legacy-unused",
        "trigger_id": "2000.1.submit",
        "view": {
            "id": "V0SUBMIT",
            "team_id": "T0001",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values or {}},
            "hash": "1700000000.abc",
            "blocks": [],
            "title": {"type": "plain_text", "text": "coopnews"},
            "app_id": "A0001",
            "bot_id": "BBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }


def submission_of(view: dict, user_id: str, values: dict) -> dict:
    """Submit a view the app opened (its callback_id and private_metadata)."""
    return view_submission(user_id, view["callback_id"], view.get("private_metadata", ""), values)


def menu_click(
    user_id: str,
    value: str,
    *,
    channel_id: str = "CNEWS",
    trigger_id: str = "3000.1.menu",
    response_url: str = "",
) -> dict:
    """An admin's overflow choice on an item listed in an ephemeral `latest` reply."""
    return {
        "type": "block_actions",
        "user": user(user_id),
        "api_app_id": "A0001",
        "token": "legacy-unused",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": channel_id,
            "is_ephemeral": True,
        },
        "trigger_id": trigger_id,
        "team": {"id": "T0001", "domain": "coop"},
        "channel": {"id": channel_id, "name": "news"},
        "response_url": response_url,
        "actions": [
            {
                "type": "overflow",
                "action_id": "coopnews_item_menu",
                "block_id": "item-" + value.partition(":")[2],
                "selected_option": {
                    "text": {"type": "plain_text", "text": value.partition(":")[0]},
                    "value": value,
                },
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def home_button(user_id: str, trigger_id: str = "4000.1.home") -> dict:
    """The App Home "Add item" button (action_id open_add_item)."""
    return {
        "type": "block_actions",
        "user": user(user_id),
        "api_app_id": "A0001",
        "token": "legacy-unused",
        "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": trigger_id,
        "team": {"id": "T0001", "domain": "coop"},
        "view": {"id": "VHOME", "type": "home", "callback_id": "", "private_metadata": ""},
        "actions": [
            {
                "type": "button",
                "action_id": "open_add_item",
                "block_id": "home_actions",
                "text": {"type": "plain_text", "text": "Add item"},
                "value": "add",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
