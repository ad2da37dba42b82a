"""The help message, built from the registered subcommands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.blocks.text import escape


class Documented(Protocol):
    usage: str
    summary: str
    admin_only: bool


def help_message(subcommands: Sequence[Documented], unknown: str | None = None) -> dict:
    def lines(admin_only: bool) -> str:
        return "\n".join(
            f"`/coopnews {s.usage}`  {s.summary}" for s in subcommands if s.admin_only == admin_only
        )

    intro = "*coopnews*: news about cooperatives and the social and solidarity economy."
    if unknown:
        intro = f"I don't know `{escape(unknown)}`. Here is what I can do:"
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
        {"type": "section", "text": {"type": "mrkdwn", "text": lines(False)}},
    ]
    admin_lines = lines(True)
    if admin_lines:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "*For admins*\n" + admin_lines}}
        )
    return {
        "text": "coopnews commands: " + ", ".join(s.usage for s in subcommands),
        "blocks": blocks,
    }
