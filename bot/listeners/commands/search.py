"""`/coopnews search WORDS`: items whose title or summary match, best first."""

from __future__ import annotations

from bot.blocks.items import item_list_message
from bot.blocks.paging import PageRequest, more_footer, range_text
from bot.blocks.search import empty_query_message, no_results_message, search_heading
from bot.deps import Deps
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from storage import search

PAGE_SIZE = 10


def show_search(call: CommandCall) -> None:
    query_text = call.text[: search.MAX_QUERY_CHARS]
    if not search.parse_query(query_text):
        call.reply(empty_query_message())
        return
    call.reply(search_page(call.deps, call.user_id, query_text))


def search_page(deps: Deps, user_id: str, query_text: str, offset: int = 0) -> dict:
    """One page of results, ending with "More" when there are others."""
    query = search.parse_query(query_text)
    with deps.db.reading() as session:
        page = search.search(session, query, PAGE_SIZE, offset)
    if not page.items:
        return no_results_message(query_text, bool(query.phrases))
    footer = []
    if page.has_more:
        more = PageRequest("search", offset + len(page.items), query=query_text)
        footer = more_footer(more, f"Results {range_text(offset, len(page.items))}")
    return item_list_message(
        page.items,
        search_heading(query_text, offset, len(page.items)),
        accessory=deps.item_controls(user_id),
        footer=footer,
    )


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "search",
            "search WORDS",
            'items whose title or summary match; "quotes" for a phrase',
            show_search,
            aliases=("find",),
        )
    )
