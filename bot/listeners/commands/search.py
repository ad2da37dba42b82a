"""`/coopnews search WORDS`: items whose title or summary match, best first."""

from __future__ import annotations

from bot.blocks.search import empty_query_message
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from bot.paging import search_page_json


def show_search(call: CommandCall) -> None:
    message = search_page_json(call.deps, call.user_id, call.text)
    if message is None:
        call.reply(empty_query_message())
    else:
        call.reply_json(message)


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "search",
            "search WORDS",
            'items whose title or summary match; "quotes" for a phrase',
            show_search,
            aliases=("find",),
            quick=True,
        )
    )
