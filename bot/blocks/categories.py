"""`/coopnews categories`: each category with its number of items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.blocks.items import notice_message
from bot.blocks.kit import context_block
from bot.blocks.text import escape_within, pack_lines

# Keep the message well inside Slack's 3,000 characters per section.
MAX_LISTED = 60
# A category name is shown in at most this many characters (escaped).
NAME_SHOWN_MAX = 120


class Counted(Protocol):
    name: str
    count: int


def category_lines(counts: Sequence[Counted], limit: int = MAX_LISTED) -> list[str]:
    lines = [f"• {escape_within(c.name, NAME_SHOWN_MAX)}: {c.count}" for c in counts[:limit]]
    if len(counts) > limit:
        lines.append(f"…and {len(counts) - limit} more")
    return lines


def categories_message(counts: Sequence[Counted], uncategorised: int = 0) -> dict:
    if not counts and not uncategorised:
        return notice_message("No news yet, so no categories either.")
    heading = f"*{len(counts)} {'category' if len(counts) == 1 else 'categories'}*"
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": heading}}]
    lines = category_lines(counts)
    if uncategorised:
        lines.append(f"• _no category_: {uncategorised}")
    for text in pack_lines(lines):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    blocks.append(context_block("`/coopnews latest [N] category` shows a category's newest items."))
    plain = ", ".join(
        f"{escape_within(c.name, NAME_SHOWN_MAX)} ({c.count})" for c in counts[:MAX_LISTED]
    )
    return {"text": f"Categories: {plain}"[:2900], "blocks": blocks}
