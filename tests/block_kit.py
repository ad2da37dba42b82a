"""Checks of Slack's documented Block Kit limits for the views and messages we build."""

from __future__ import annotations

import re

INPUT_ELEMENTS = {
    "plain_text_input",
    "url_text_input",
    "static_select",
    "datepicker",
    "datetimepicker",
}


def _plain(obj: dict, limit: int) -> None:
    assert obj["type"] == "plain_text", obj
    assert 0 < len(obj["text"]) <= limit, obj


def assert_valid_modal(view: dict) -> None:
    assert view["type"] == "modal"
    _plain(view["title"], 24)
    _plain(view["close"], 24)
    if "submit" in view:
        _plain(view["submit"], 24)
    assert 0 < len(view["blocks"]) <= 100
    assert len(view.get("callback_id", "")) <= 255
    assert len(view.get("private_metadata", "")) <= 3000
    has_input = False
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)), "block_ids must be unique"
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        has_input = True
        _plain(block["label"], 2000)
        element = block["element"]
        assert element["type"] in INPUT_ELEMENTS, element
        assert element["action_id"]
        if element["type"] == "plain_text_input":
            assert element.get("max_length", 3000) <= 3000
            assert len(element.get("initial_value", "")) <= element.get("max_length", 3000)
        if element["type"] == "static_select":
            assert 1 <= len(element["options"]) <= 100
            for option in element["options"]:
                _plain(option["text"], 75)
                assert 0 < len(option["value"]) <= 150
            if "initial_option" in element:
                assert element["initial_option"] in element["options"]
        if element["type"] == "datepicker" and "initial_date" in element:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", element["initial_date"])
        if element["type"] == "datetimepicker" and "initial_date_time" in element:
            # Block Kit reference: a UNIX timestamp in seconds, an integer.
            assert type(element["initial_date_time"]) is int
    # A modal with inputs needs a submit button (Slack rejects it otherwise).
    assert not has_input or "submit" in view


def mrkdwn_texts(message: dict) -> list[str]:
    """Every mrkdwn string in blocks (sections, fields, contexts), plus the fallback text."""
    found = [message["text"]] if "text" in message else []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks", []))
    return found
