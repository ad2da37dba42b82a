"""`/coopnews categories`: the categories and how many items each has."""

from __future__ import annotations

from bot.blocks.categories import categories_message
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from storage import search


def show_categories(call: CommandCall) -> None:
    with call.deps.db.reading() as session:
        counts = search.categories(session)
        uncategorised = search.uncategorised_count(session)
    call.reply(categories_message(counts, uncategorised))


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "categories", "categories", "the categories, with their item counts", show_categories
        )
    )
