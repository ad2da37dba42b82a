"""`/coopnews categories`: the categories and how many items each has (the same for
everyone: one entry of the answer cache per data revision, bot/answer_cache.py)."""

from __future__ import annotations

from bot.blocks.categories import categories_message
from bot.deps import Deps
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from storage.categories import category_list


def show_categories(call: CommandCall) -> None:
    deps = call.deps
    call.reply(deps.answers.message(deps.db, ("categories",), lambda: categories_answer(deps)))


def categories_answer(deps: Deps) -> dict:
    with deps.db.reading() as session:
        listed = category_list(session)
    return categories_message(listed.counted, listed.uncategorised)


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
