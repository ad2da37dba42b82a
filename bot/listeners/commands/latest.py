"""`/coopnews latest [N] [category]`: the newest items, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from bot.blocks.items import item_list_message, latest_heading, notice_message
from bot.blocks.text import escape
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from storage import store

DEFAULT_COUNT = 5


@dataclass(frozen=True)
class LatestQuery:
    count: int = DEFAULT_COUNT
    category: str | None = None
    capped: bool = False


def parse_latest(args: list[str]) -> LatestQuery:
    """`[N] [category words...]`; N may also come last ("News 3"); capped at 20."""
    words = list(args)
    count = None
    if words and words[0].lstrip("-").isdigit():
        count = int(words.pop(0))
    elif words and words[-1].isdigit():
        count = int(words.pop())
    category = " ".join(words) or None
    if count is None:
        return LatestQuery(DEFAULT_COUNT, category)
    capped = count > store.MAX_LATEST
    return LatestQuery(max(1, min(count, store.MAX_LATEST)), category, capped)


def show_latest(call: CommandCall) -> None:
    query = parse_latest(call.args)
    with call.deps.db.reading() as session:
        items = store.latest(session, query.count, query.category)
        if not items:
            call.reply(empty_answer(session, query.category))
            return
    message = item_list_message(
        items,
        latest_heading(len(items), query.category),
        accessory=call.deps.item_controls(call.user_id),
    )
    if query.capped:
        message["blocks"].append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"Showing at most {store.MAX_LATEST} at a time."}
                ],
            }
        )
    call.reply(message)


def empty_answer(session, category: str | None) -> dict:
    if category and store.count_items(session):
        return notice_message(
            f"No news in the category “{escape(category)}”. "
            "Try `/coopnews latest` for everything, or `/coopnews categories` for the list."
        )
    return notice_message(
        "No news yet. An admin can add an item with `/coopnews add`, "
        "or import a source with `coopnews import`."
    )


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "latest",
            "latest [N] [category]",
            f"the N newest items (default {DEFAULT_COUNT}, at most {store.MAX_LATEST})",
            show_latest,
        )
    )
