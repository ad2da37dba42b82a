"""The smallest Block Kit pieces, shared by every builder."""

from __future__ import annotations


def context_block(mrkdwn: str) -> dict:
    """A line of small grey mrkdwn text (dates, counts, hints)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}
