"""Pages of `latest` and `search`, shared by the commands and the "More" button.

A page is a message (item list, heading, controls for admins) ending with
"More" when others remain; the button's value (bot/blocks/paging.py) says
which page comes next. Pages come from the process's answer cache
(bot/answer_cache.py) when the data has not changed since they were built.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bot.blocks.items import item_list_message, latest_heading
from bot.blocks.paging import PageRequest, more_footer, range_text
from bot.blocks.search import no_results_message, search_heading
from bot.deps import Deps
from storage import featured, search, store

SEARCH_PAGE_SIZE = 10


def latest_page(
    deps: Deps, user_id: str, count: int, category: str | None, offset: int = 0
) -> dict | None:
    """One page of `latest` (build_latest_page), from the answer cache when it holds
    one built at the current data revision (keyed as _latest_answer says)."""
    return deps.answers.message(deps.db, *_latest_answer(deps, user_id, count, category, offset))


def latest_page_json(
    deps: Deps, user_id: str, count: int, category: str | None, offset: int = 0
) -> str | None:
    """latest_page as compact JSON text (on a hit the cached text, not decoded), for a
    slash command's answer (CommandCall.reply_json)."""
    return deps.answers.message_json(
        deps.db, *_latest_answer(deps, user_id, count, category, offset)
    )


def _latest_answer(
    deps: Deps, user_id: str, count: int, category: str | None, offset: int
) -> tuple[tuple, Callable[[Session], dict | None]]:
    """A `latest` page's answer-cache key and builder. Keyed by everything the page
    shows besides the data: the category as typed ("More" carries it), and whether
    controls are shown."""
    key = ("latest", count, category, offset, deps.admins.is_admin(user_id))
    return key, lambda session: build_latest_page(session, deps, user_id, count, category, offset)


def build_latest_page(
    session: Session, deps: Deps, user_id: str, count: int, category: str | None, offset: int = 0
) -> dict | None:
    """One page of `latest` read in `session`, ending with "More" when older items
    remain; None if empty.

    The featured item (storage/featured.py), when in `category` (or no category is
    asked for), is shown marked above the first page's `count` newest and left out
    of every page's own order, so "More" neither repeats nor skips an item.
    """
    page = featured.front_page(session, count, category, offset)
    pinned, items, older = page.featured, page.items, page.older
    featured_id = pinned.id if pinned else None
    shown = [pinned, *items] if pinned is not None and offset == 0 else list(items)
    if not shown:
        return None
    footer = []
    if older:
        page = PageRequest("latest", offset + len(items), count=count, category=category)
        footer = more_footer(page, f"Items {range_text(offset, len(items))}")
    # Name the category as the items spell it ("COOP Champions"), not as typed.
    shown_category = (shown[0].category or category) if category else None
    return item_list_message(
        shown,
        latest_heading(len(items) or len(shown), shown_category, offset),
        accessory=deps.item_controls(user_id, featured_id),
        footer=footer,
        featured_id=featured_id,
    )


def search_page(deps: Deps, user_id: str, query_text: str, offset: int = 0) -> dict | None:
    """One page of results (build_search_page), from the answer cache when it holds one
    built at the current data revision (keyed as _search_answer says)."""
    return deps.answers.message(deps.db, *_search_answer(deps, user_id, query_text, offset))


def search_page_json(deps: Deps, user_id: str, query_text: str, offset: int = 0) -> str | None:
    """search_page as compact JSON text (on a hit the cached text, not decoded), for a
    slash command's answer (CommandCall.reply_json)."""
    return deps.answers.message_json(deps.db, *_search_answer(deps, user_id, query_text, offset))


def _search_answer(
    deps: Deps, user_id: str, query_text: str, offset: int
) -> tuple[tuple, Callable[[Session], dict | None]]:
    """A search page's answer-cache key and builder: keyed by the text as typed (the
    heading and "More" show it; cut at MAX_QUERY_CHARS) and whether controls are shown."""
    query_text = query_text[: search.MAX_QUERY_CHARS]
    key = ("search", query_text, offset, deps.admins.is_admin(user_id))
    return key, lambda session: build_search_page(session, deps, user_id, query_text, offset)


def build_search_page(
    session: Session, deps: Deps, user_id: str, query_text: str, offset: int = 0
) -> dict | None:
    """One page of results read in `session`, ending with "More" when there are others.

    `query_text` as typed (cut to MAX_QUERY_CHARS) is parsed here, once; None
    when it holds no word to search for.
    """
    query_text = query_text[: search.MAX_QUERY_CHARS]
    query = search.parse_query(query_text)
    if not query:
        return None
    page = search.search(session, query, SEARCH_PAGE_SIZE, offset)
    featured_id = featured.current_id(session)
    if not page.items:
        return no_results_message(query_text, bool(query.phrases))
    footer = []
    if page.has_more:
        more = PageRequest("search", offset + len(page.items), query=query_text)
        footer = more_footer(more, f"Results {range_text(offset, len(page.items))}")
    return item_list_message(
        page.items,
        search_heading(query_text, offset, len(page.items)),
        accessory=deps.item_controls(user_id, featured_id),
        footer=footer,
    )


def next_page(deps: Deps, user_id: str, page: PageRequest) -> dict | None:
    """The page a "More" button asks for; None when there is none (nothing left, or a
    forged value)."""
    if page.kind == "latest":
        count = max(1, min(page.count, store.MAX_LATEST))
        return latest_page(deps, user_id, count, page.category, page.offset)
    if page.kind == "search":
        return search_page(deps, user_id, page.query, page.offset)
    return None
