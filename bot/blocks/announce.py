"""Messages posted to channels: one item, a digest of several, a retraction note.

Shared by the announcer (which posts them) and curation (which updates them
with chat.update when an item is corrected or retracted). Each message
carries the item ids in `metadata`, so a message found in a channel's
history can be matched to its items.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.entities import ItemLike
from bot.blocks.items import featured_first, item_blocks, item_fallback
from bot.blocks.kit import context_block, divider, section
from bot.blocks.text import LABEL_MAX, escape_within, format_date
from domain.text import shorten

ITEM_EVENT = "coopnews_item"
DIGEST_EVENT = "coopnews_digest"
RETRACTED_EVENT = "coopnews_retracted"
# chat.postMessage allows 50 blocks: a heading, then divider + 2 blocks per item.
DIGEST_MAX_ITEMS = 16


def announcement_message(item: ItemLike) -> dict:
    """One new item, shown as in `latest`."""
    return {
        "text": f"New: {item_fallback(item)}",
        "blocks": item_blocks(item),
        "metadata": {"event_type": ITEM_EVENT, "event_payload": {"item_id": item.id}},
        "unfurl_links": False,
        "unfurl_media": False,
    }


def digest_message(items: Sequence[ItemLike], featured_id: int | None = None) -> dict:
    """Several new items in one message (flood control, scheduled digests); the
    featured item, when among them, comes first and is marked."""
    shown = featured_first(list(items)[:DIGEST_MAX_ITEMS], featured_id)
    count = len(shown)
    blocks = [section(f"*{count} new {'item' if count == 1 else 'items'}*")]
    for item in shown:
        blocks.append(divider())
        blocks.extend(item_blocks(item, featured=item.id == featured_id))
    titles = "; ".join(escape_within(i.title, 300) for i in shown)
    return {
        "text": shorten(f"{count} new items: {titles}", 2900),
        "blocks": blocks,
        "metadata": {
            "event_type": DIGEST_EVENT,
            "event_payload": {"item_ids": [i.id for i in shown]},
        },
        "unfurl_links": False,
        "unfurl_media": False,
    }


def retraction_message(item: ItemLike) -> dict:
    """What an announcement of a retracted item becomes."""
    text = (
        f"_This item was retracted by the editors: {escape_within(item.title, LABEL_MAX)} "
        f"({format_date(item.published_at)})._"
    )
    return {
        "text": text,
        "blocks": [context_block(text)],
        "metadata": {"event_type": RETRACTED_EVENT, "event_payload": {"item_id": item.id}},
    }
