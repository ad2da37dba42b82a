"""`/coopnews categories`: the categories and how many items each has (the same for
everyone: one entry of the answer cache per data revision, bot/answer_cache.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.blocks.categories import categories_message
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from storage.categories import category_list


def show_categories(call: CommandCall) -> None:
    deps = call.deps
    call.reply_json(deps.answers.message_json(deps.db, ("categories",), categories_answer))


def categories_answer(session: Session) -> dict:
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
