"""The App Home tab: newest items, categories, subscribed channels; admins see more."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.blocks.categories import Counted, category_lines
from bot.blocks.curation import OPEN_ADD_ITEM
from bot.blocks.entities import ItemLike, ScheduledLike, SourceHealthLike, SubscriptionLike
from bot.blocks.follows import FollowLike, home_follow_blocks
from bot.blocks.items import item_blocks
from bot.blocks.kit import context_block, divider, header, section
from bot.blocks.scheduled import scheduled_home_blocks
from bot.blocks.subscriptions import categories_text
from bot.blocks.suggestions import SuggestionLike, home_suggestion_blocks
from bot.blocks.text import escape, escape_within, format_date, link, pack_lines

HOME_CATEGORIES = 15
HOME_CATEGORIES_TEXT = 200
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


@dataclass
class HomeContent:
    items: Sequence[ItemLike]
    categories: Sequence[Counted]
    subscriptions: Sequence[SubscriptionLike]
    more_subscriptions: int = 0
    # Only for admins; members' views are built without them.
    sources: Sequence[SourceHealthLike] = field(default_factory=list)
    more_sources: int = 0
    # The viewer's own follows (bot/blocks/follows.py), and category spellings for them.
    follows: Sequence[FollowLike] = field(default_factory=list)
    spellings: Mapping[str, str] = field(default_factory=dict)
    # Pending suggestions, oldest first, and how many there are (bot/blocks/suggestions.py).
    suggestions: Sequence[SuggestionLike] = field(default_factory=list)
    pending_suggestions: int = 0
    # Shown first, marked, and not repeated among `items` (storage/featured.py).
    featured: ItemLike | None = None
    # Admins only: items waiting for their time, soonest first.
    scheduled: Sequence[ScheduledLike] = field(default_factory=list)
    more_scheduled: int = 0


def channel_mention(channel_id: str) -> str:
    # Only a well-formed ID becomes a mention; anything else is shown as text.
    return f"<#{channel_id}>" if _CHANNEL_ID.match(channel_id) else escape(channel_id)


def subscription_line(sub: SubscriptionLike) -> str:
    # Short: App Home holds every section in 100 blocks (tests/test_home_limits.py).
    what = categories_text(sub.categories, quoted=False, limit=HOME_CATEGORIES_TEXT)
    line = f"• {channel_mention(sub.channel_id)}: {what}, {escape(sub.mode)}"
    if sub.paused_at:
        line += " · _paused_"
    if sub.problem:
        line += f" · :warning: {escape_within(sub.problem, 300)}"
    return line


def source_line(source: SourceHealthLike) -> str:
    name = link(source.url, source.title or source.url)
    if source.paused_at:
        state = ":double_vertical_bar: paused"
    elif source.failures:
        state = f":warning: {source.failures} failed polls"
    else:
        state = ":white_check_mark: ok"
    line = f"• {name}: {state} · {source.items} items"
    if source.last_success_at:
        line += f" · last fetched {format_date(source.last_success_at)}"
    if source.last_error and (source.failures or source.paused_at):
        line += f"\n    _{escape_within(source.last_error, 300)}_"
    return line


def home_view(content: HomeContent, is_admin: bool) -> dict:
    blocks: list[dict] = [header("coopnews")]
    blocks.append(
        context_block(
            "News about cooperatives and the social and solidarity economy. "
            "Search with `/coopnews search WORDS`; `/coopnews help` lists everything."
        )
    )
    if is_admin:
        blocks.append(
            {
                "type": "actions",
                "block_id": "home-admin",
                "elements": [
                    {
                        "type": "button",
                        "action_id": OPEN_ADD_ITEM,
                        "text": {"type": "plain_text", "text": "Add item"},
                        "style": "primary",
                    }
                ],
            }
        )
    if is_admin:
        blocks.extend(home_suggestion_blocks(content.suggestions, content.pending_suggestions))
        blocks.append(divider())
    blocks.append(header("Newest"))
    if content.featured is not None:
        blocks.extend(item_blocks(content.featured, featured=True))
    if content.items:
        for item in content.items:
            blocks.extend(item_blocks(item))
    elif content.featured is None:
        blocks.append(section("No news yet."))
    if is_admin:
        blocks.append(divider())
        blocks.append(header("Scheduled"))
        blocks.extend(scheduled_home_blocks(content.scheduled, content.more_scheduled))
    blocks.append(divider())
    blocks.append(header("Categories"))
    if content.categories:
        lines = category_lines(content.categories, HOME_CATEGORIES)
        blocks.append(section("\n".join(lines)))
        blocks.append(
            context_block("`/coopnews latest [N] category` shows a category's newest items.")
        )
    else:
        blocks.append(section("No categories yet."))
    blocks.append(divider())
    blocks.append(header("Channels"))
    if content.subscriptions:
        lines = [subscription_line(s) for s in content.subscriptions]
        if content.more_subscriptions:
            lines.append(f"…and {content.more_subscriptions} more")
        blocks.extend(section(text) for text in pack_lines(lines))
    else:
        blocks.append(section("No channel gets news announced yet."))
    blocks.extend(home_follow_blocks(content.follows, content.spellings))
    if is_admin:
        blocks.append(divider())
        blocks.append(header("Sources"))
        if content.sources:
            lines = [source_line(s) for s in content.sources]
            if content.more_sources:
                lines.append(f"…and {content.more_sources} more")
            # Several sections: each holds at most 3,000 characters.
            for text in pack_lines(lines):
                blocks.append(section(text))
        else:
            blocks.append(section("No sources yet."))
    return {"type": "home", "blocks": blocks}
