"""Messages posted to channels: one item, a digest of several, a retraction note.

Shared by the announcer (which posts them) and curation (which updates them
with chat.update when an item is corrected or retracted). Each message
carries the item ids in `metadata`, so a message found in a channel's
history can be matched to its items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.blocks.entities import ItemLike
from bot.blocks.items import (
    CATEGORY_SHOWN_MAX,
    FEATURED_MARK,
    featured_first,
    item_blocks,
    item_fallback,
)
from bot.blocks.kit import context_block, divider, section
from bot.blocks.text import LABEL_MAX, MONTHS, escape_within, format_date, link, pack_lines
from domain.text import shorten

ITEM_EVENT = "coopnews_item"
DIGEST_EVENT = "coopnews_digest"
RETRACTED_EVENT = "coopnews_retracted"
# A channel's daily thread parent (payload: {"day": "2026-11-29"}).
THREAD_EVENT = "coopnews_thread"
# chat.postMessage allows 50 blocks: a heading, then divider + 2 blocks per item.
DIGEST_MAX_ITEMS = 16
FULL, COMPACT, HEADLINE = "full", "compact", "headline"


@dataclass(frozen=True)
class Style:
    """How a channel shows items (its subscription's rules, bot/channel_rules.py).

    `format`: full (title, summary, date, category), compact (one line: linked
    title, date, category) or headline (linked title only). `previews`: Slack's
    link unfurls, off unless asked for. `mention`: mention markup built by
    coopnews (`<!here>`, `<!subteam^ID>`), never taken from item text; None
    for no mention.
    """

    format: str = FULL
    previews: bool = False
    mention: str | None = None


PLAIN = Style()


def item_line(item: ItemLike, format: str) -> str:
    """One item on one line: compact (linked title · date · category) or headline."""
    title = f"*{link(item.url, item.title)}*"
    if format == HEADLINE:
        return title
    line = f"{title} · {format_date(item.published_at)}"
    if item.category:
        line += f" · {escape_within(item.category, CATEGORY_SHOWN_MAX)}"
    return line


def styled_item_blocks(item: ItemLike, format: str) -> list[dict]:
    if format in (COMPACT, HEADLINE):
        return [section(item_line(item, format), block_id=f"item-{item.id}")]
    return item_blocks(item)


def _styled(message: dict, style: Style) -> dict:
    if style.mention:
        message["text"] = f"{style.mention} {message['text']}"
        message["blocks"] = [context_block(style.mention), *message["blocks"]]
    message["unfurl_links"] = style.previews
    message["unfurl_media"] = style.previews
    return message


def announcement_message(item: ItemLike, style: Style = PLAIN) -> dict:
    """One new item, in the channel's format (full: as in `latest`)."""
    message = {
        "text": f"New: {item_fallback(item)}",
        "blocks": styled_item_blocks(item, style.format),
        "metadata": {"event_type": ITEM_EVENT, "event_payload": {"item_id": item.id}},
    }
    return _styled(message, style)


def digest_message(
    items: Sequence[ItemLike], style: Style = PLAIN, featured_id: int | None = None
) -> dict:
    """Several new items in one message (flood control, scheduled digests), in the
    channel's format; the featured item, when among them, comes first and is marked."""
    shown = featured_first(list(items)[:DIGEST_MAX_ITEMS], featured_id)
    count = len(shown)
    blocks = [section(f"*{count} new {'item' if count == 1 else 'items'}*")]
    if style.format in (COMPACT, HEADLINE):
        lines = [
            (f"{FEATURED_MARK} · " if i.id == featured_id else "") + item_line(i, style.format)
            for i in shown
        ]
        blocks += [section(text) for text in pack_lines(lines)]
    else:
        for item in shown:
            blocks.append(divider())
            blocks.extend(item_blocks(item, featured=item.id == featured_id))
    titles = "; ".join(escape_within(i.title, 300) for i in shown)
    message = {
        "text": shorten(f"{count} new items: {titles}", 2900),
        "blocks": blocks,
        "metadata": {
            "event_type": DIGEST_EVENT,
            "event_payload": {"item_ids": [i.id for i in shown]},
        },
    }
    return _styled(message, style)


def day_label(day: date) -> str:
    """How a daily thread's parent names its day: "29 November"."""
    return f"{day.day} {MONTHS[day.month - 1]}"


def thread_parent_message(day: str, label: str, count: int) -> dict:
    """A daily thread's parent: "Co-op news · 29 November", counting its items.

    `day` is ISO ("2026-11-29"), kept in the metadata so a parent posted by a
    pass that died can be found in the channel's history; `label` is how the
    day is shown ("29 November").
    """
    counted = "no items yet" if count == 0 else f"{count} item{'s' if count != 1 else ''}"
    text = f"Co-op news · {label}"
    return {
        "text": f"{text} ({counted})",
        "blocks": [section(f"*{text}*"), context_block(f"{counted} · replies in this thread")],
        "metadata": {"event_type": THREAD_EVENT, "event_payload": {"day": day}},
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
