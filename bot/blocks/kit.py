"""The smallest Block Kit pieces, shared by every builder.

Shapes from Slack's "Reference: blocks" (https://api.slack.com/reference/block-kit/blocks).
Texts given here are already-safe mrkdwn (ours, or escaped by bot/blocks/text.py).
"""

from __future__ import annotations


def section(mrkdwn: str, *, block_id: str | None = None, accessory: dict | None = None) -> dict:
    """A section block of mrkdwn (at most 3,000 characters: callers keep within)."""
    block: dict = {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def header(text: str) -> dict:
    """A header block: large plain text (at most 150 characters)."""
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def context_block(mrkdwn: str) -> dict:
    """A line of small grey mrkdwn text (dates, counts, hints)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def divider() -> dict:
    return {"type": "divider"}


def message(text: str, blocks: list[dict] | None = None) -> dict:
    """A message: `text` (notifications, screen readers) and its blocks; without
    blocks, `text` as one section (a short notice of our own mrkdwn)."""
    return {"text": text, "blocks": blocks if blocks is not None else [section(text)]}
