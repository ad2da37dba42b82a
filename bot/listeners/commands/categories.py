"""`/coopnews categories`: the categories and how many items each has."""

from __future__ import annotations

from bot.blocks.categories import categories_message
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from storage.categories import category_list


def show_categories(call: CommandCall) -> None:
    with call.deps.db.reading() as session:
        listed = category_list(session)
    call.reply(categories_message(listed.counted, listed.uncategorised))


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "categories",
            "categories",
            "the categories, with their item counts",
            show_categories,
            quick=True,
        )
    )
