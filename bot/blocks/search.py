"""Search results and the answers when there are none."""

from __future__ import annotations

from bot.blocks.items import notice_message
from bot.blocks.text import escape
from domain.text import shorten


def search_heading(query_text: str, offset: int, count: int) -> str:
    shown = shorten(" ".join(query_text.split()), 100)
    heading = f"*Results for “{escape(shown)}”*"
    if offset:
        heading += f" ({offset + 1}–{offset + count})"
    return heading


def no_results_message(query_text: str, has_phrase: bool) -> dict:
    shown = shorten(" ".join(query_text.split()), 100)
    hint = "Try fewer or other words, or check the spelling"
    if has_phrase:
        hint += "; a phrase in quotes must match word for word, so try it without the quotes"
    return notice_message(
        f"No news matches “{escape(shown)}”. {hint}. "
        "You can also browse with `/coopnews latest` or `/coopnews categories`."
    )


def empty_query_message() -> dict:
    return notice_message(
        "Tell me what to look for, e.g. `/coopnews search housing cooperative`, "
        'or a phrase in quotes: `/coopnews search "social economy"`. '
        "Case and accents don't matter."
    )


def no_more_message() -> dict:
    return notice_message("There is nothing more to show.")
