"""Messages that list items: `latest`, and (later) search results and announcements."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.blocks.entities import ItemLike
from bot.blocks.kit import context_block, divider, message, section
from bot.blocks.text import LABEL_MAX, escape_within, format_date, link
from domain.text import shorten

SUMMARY_LIMIT = 280
SUMMARY_ESCAPED_MAX = 1200  # 280 characters of `&` would escape to 1,400
CATEGORY_SHOWN_MAX = 300
DIVIDED_LIST_MAX = 12
FEATURED_MARK = ":star: *Featured*"

# Extra controls for an item (e.g. an admin's Edit/Delete menu), or None.
Accessory = Callable[[ItemLike], dict | None]


def item_blocks(
    item: ItemLike, accessory: Accessory | None = None, featured: bool = False
) -> list[dict]:
    """A section (title as a link, summary) and a context (date, category; FEATURED_MARK
    first for the featured item), each within Slack's 3,000 characters whatever the
    item holds (see bot/blocks/text.py)."""
    text = f"*{link(item.url, item.title)}*"
    summary = shorten(item.summary, SUMMARY_LIMIT)
    if summary:
        text += "\n" + escape_within(summary, SUMMARY_ESCAPED_MAX)
    extra = accessory(item) if accessory else None
    block = section(text, block_id=f"item-{item.id}", accessory=extra)
    meta = format_date(item.published_at)
    if featured:
        meta = f"{FEATURED_MARK} · {meta}"
    if item.category:
        meta += f" · {escape_within(item.category, CATEGORY_SHOWN_MAX)}"
    context = context_block(meta)
    return [block, context]


def featured_first(items: Sequence[ItemLike], featured_id: int | None) -> list[ItemLike]:
    """The featured item (if among `items`) first, the others in their order."""
    return sorted(items, key=lambda item: item.id != featured_id)


def item_fallback(item: ItemLike) -> str:
    """Plain top-level `text` for one item (notifications, screen readers), escaped too."""
    return f"{escape_within(item.title, LABEL_MAX)} ({format_date(item.published_at)})"


def item_list_message(
    items: Sequence[ItemLike],
    heading: str,
    accessory: Accessory | None = None,
    footer: list[dict] | None = None,
    featured_id: int | None = None,
) -> dict:
    """A message listing items under a heading; `heading` is our own trusted mrkdwn.
    The item whose id is `featured_id` is marked (callers put it first)."""
    blocks: list[dict] = [section(heading)]
    # Slack allows 50 blocks in a message: long lists go without dividers.
    dividers = len(items) <= DIVIDED_LIST_MAX
    for item in items:
        if dividers:
            blocks.append(divider())
        blocks.extend(item_blocks(item, accessory, featured=item.id == featured_id))
    blocks.extend(footer or [])
    titles = "; ".join(item_fallback(i) for i in items)
    return {"text": shorten(f"{_plain(heading)}: {titles}", 2900), "blocks": blocks}


def latest_heading(count: int, category: str | None, offset: int = 0) -> str:
    what = "item" if count == 1 else "items"
    if offset:  # a later page, reached with "More"
        where = f" in {escape_within(category, CATEGORY_SHOWN_MAX)}" if category else ""
        return f"*Items {offset + 1}–{offset + count}{where}, newest first*"
    if category:
        return f"*The {count} newest {what} in {escape_within(category, CATEGORY_SHOWN_MAX)}*"
    return f"*The {count} newest {what}*"


def _plain(heading: str) -> str:
    return heading.replace("*", "")


def notice_message(text: str) -> dict:
    """A short message of our own mrkdwn (help, refusals, empty results)."""
    return message(text)
