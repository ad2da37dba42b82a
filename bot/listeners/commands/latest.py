"""`/coopnews latest [N] [category]`: the newest items, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from bot.blocks.items import notice_message
from bot.blocks.kit import context_block
from bot.blocks.text import escape
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from bot.numbers import looks_numeric, whole_number
from bot.paging import latest_page, latest_page_json
from storage import store

DEFAULT_COUNT = 5


@dataclass(frozen=True)
class LatestQuery:
    count: int = DEFAULT_COUNT
    category: str | None = None
    capped: bool = False
    # N was below 1 (`latest 0`, `latest -3`): answered with the range, nothing listed.
    invalid: str | None = None


def parse_latest(args: list[str]) -> LatestQuery:
    """`[N] [category words...]`; N may also come last ("News 3"); capped at 20. A
    category in quotes as a whole is read without them."""
    words = list(args)
    raw = None
    if words and looks_numeric(words[0]):
        raw = words.pop(0)
    elif words and looks_numeric(words[-1]):
        raw = words.pop()
    category = _unquoted(" ".join(words)) or None
    if raw is None:
        return LatestQuery(DEFAULT_COUNT, category)
    count = whole_number(raw)
    if raw.strip().startswith("-") or (count is not None and count < 1):
        return LatestQuery(DEFAULT_COUNT, category, invalid=raw.strip())
    if count is None or count > store.MAX_LATEST:  # 19+ digits is "a lot" too
        return LatestQuery(store.MAX_LATEST, category, capped=True)
    return LatestQuery(count, category)


# A category quoted as a whole ("coop champions", “coop champions”, 'News').
_QUOTES = {'"': '"', "\u201c": "\u201d", "'": "'", "\u2018": "\u2019"}


def _unquoted(text: str) -> str:
    if len(text) > 1 and _QUOTES.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text


def show_latest(call: CommandCall) -> None:
    # The text as typed, split on whitespace only: a category's own quotes, apostrophes
    # and backslashes ("Workers' and Members' Rights") are part of its name, which
    # split_words' shell quoting would take out.
    query = parse_latest(call.text.split())
    if query.invalid is not None:
        call.reply(
            notice_message(
                f"`latest` shows 1 to {store.MAX_LATEST} items; "
                f"“{escape(query.invalid)}” is not in that range. "
                "Try `/coopnews latest 5`."
            )
        )
        return
    if not query.capped:  # the page as cached, sent on as its JSON text
        text = latest_page_json(call.deps, call.user_id, query.count, query.category)
        if text is not None:
            call.reply_json(text)
            return
    else:
        message = latest_page(call.deps, call.user_id, query.count, query.category)
        if message is not None:
            message["blocks"].append(context_block(f"Showing at most {store.MAX_LATEST} at a time."))
            call.reply(message)
            return
    with call.deps.db.reading() as session:
        call.reply(empty_answer(session, query.category))

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
            quick=True,
        )
    )
