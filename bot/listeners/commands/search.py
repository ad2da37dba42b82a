"""`/coopnews search WORDS`: items whose title or summary match, best first."""

from __future__ import annotations

from bot.blocks.search import empty_query_message
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from bot.paging import search_page


def show_search(call: CommandCall) -> None:
    message = search_page(call.deps, call.user_id, call.text)
    call.reply(message if message is not None else empty_query_message())


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
