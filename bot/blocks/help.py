"""The help message, built from the registered subcommands, for one reader's role."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.blocks.kit import section
from bot.blocks.text import escape


class Documented(Protocol):
    usage: str
    summary: str
    admin_only: bool
    admin_usage: str  # an admin's part of a subcommand members use too ("" if none)
    admin_summary: str


def help_message(
    subcommands: Sequence[Documented], unknown: str | None = None, is_admin: bool = False
) -> dict:
    """What the reader can use: members see their subcommands only; admins also see
    theirs, under "For admins". `unknown` is the word typed that names nothing."""

    def line(usage: str, summary: str) -> str:
        return f"`/coopnews {usage}`  {summary}"

    members = [line(s.usage, s.summary) for s in subcommands if not s.admin_only]
    admins = [
        line(s.admin_usage, s.admin_summary) if s.admin_usage else line(s.usage, s.summary)
        for s in subcommands
        if s.admin_only or s.admin_usage
    ]
    intro = "*coopnews*: news about cooperatives and the social and solidarity economy."
    if unknown:
        intro = f"I don't know `{escape(unknown)}`. Here is what I can do:"
    blocks = [
        section(intro),
        section("\n".join(members)),
    ]
    shown = [s.usage for s in subcommands if not s.admin_only]
    if is_admin and admins:
        blocks.append(section("*For admins*\n" + "\n".join(admins)))
        shown += [s.usage for s in subcommands if s.admin_only]
    return {"text": "coopnews commands: " + ", ".join(shown), "blocks": blocks}
