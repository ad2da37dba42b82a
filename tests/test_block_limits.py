"""Every Block Kit builder stays within Slack's limits, whatever the item holds.

Limits from Slack's "Reference: blocks" / "Reference: composition objects" /
"Reference: views": section text 3,000; header text 150; button text 75 and
value 2,000; context at most 10 elements; option text 75 and value 150; 50
blocks in a message, 100 in a view; private_metadata 3,000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.blocks.announce import (
    Style,
    announcement_message,
    digest_message,
    retraction_message,
    thread_parent_message,
)
from bot.blocks.categories import categories_message
from bot.blocks.curation import (
    FormContext,
    audit_message,
    delete_confirm_view,
    deleted_message,
    item_form_view,
    item_menu,
    saved_message,
)
from bot.blocks.home import HomeContent, home_view
from bot.blocks.items import item_list_message, latest_heading
from bot.blocks.paging import PageRequest, more_footer
from bot.blocks.rules_form import rules_form_view
from bot.blocks.search import search_heading
from bot.blocks.sources import source_blocks, sources_list_message
from bot.blocks.subscriptions import subscribed_message, subscriptions_message
from bot.channel_rules import ChannelRules, Mention

# Text that is hard on counting and escaping: emoji, combining marks, RTL marks,
# mrkdwn's control characters and Slack's special sequences.
PIECES = st.sampled_from(
    ["a", "co-op ", "&", "<", ">", "<!channel>", "|", "*", "_", "~", "`", "\u200f", "\u202e",
     "e\u0301", "\U0001f469\u200d\U0001f33e", "\U0001f1e8\U0001f1ed", "日本", "ﷺ", " ", "\n",
     "https://x.example/?a=1&b=2", "%", "<@U123>"]
)  # fmt: skip


def sized(max_size: int):
    """Text up to `max_size` characters, built from hostile pieces (fast at 100,000)."""
    return st.builds(
        lambda parts, size: (
            ("".join(parts) * (size // max(1, len("".join(parts))) + 1))[:size] if parts else ""
        ),
        st.lists(PIECES, min_size=0, max_size=8),
        st.one_of(st.integers(0, 40), st.integers(0, max_size), st.just(max_size)),
    )


def links(max_size: int):
    return st.one_of(
        st.none(),
        st.builds(lambda tail: "https://news.example.org/" + tail, sized(max_size)),
    )


@dataclass
class FakeItem:
    id: int
    title: str
    url: str | None
    category: str | None
    summary: str | None
    published_at: datetime


@dataclass
class Count:
    name: str
    count: int


@dataclass
class FakeSource:
    id: int
    url: str
    feed_url: str | None
    kind: str | None
    title: str | None
    category: str | None
    interval_seconds: int
    paused_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    failures: int
    items: int = 3
    next_poll_at: datetime | None = None
    retry_after_until: datetime | None = None


@dataclass
class FakeSubscription:
    channel_id: str
    categories: list[str]
    mode: str
    schedule: str | None
    timezone: str | None
    paused_at: datetime | None
    problem: str | None
    last_posted_at: datetime | None


@dataclass
class FakeAudit:
    at: datetime
    user_id: str
    action: str
    item_id: int | None
    item_title: str
    details: str | None


NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)

items = st.builds(
    FakeItem,
    id=st.integers(1, 2**31 - 1),
    title=sized(10_000).filter(bool),
    url=links(10_000),
    category=st.one_of(st.none(), sized(500)),
    summary=st.one_of(st.none(), sized(100_000)),
    published_at=st.just(NOW),
)

# ...and the mentions a channel's rules ask for (built by coopnews, bot/channel_rules.py).
LINK = re.compile(
    r"<(https?://[^|<>\s]+\|[^<>]*|#C[A-Z0-9]+|@U[A-Z0-9]+|!date\^[^<>]+|!here|!subteam\^[A-Z0-9]+)>"
)


def check_text(text: str, where: str) -> None:
    assert len(text) <= 3000, f"{where}: {len(text)} characters"
    # Every `<` left in mrkdwn opens a sequence we made: a link, a channel, a date.
    assert "<" not in LINK.sub("", text), f"{where}: stray < in {text[:200]!r}"


def check_element(element: dict) -> None:
    if element.get("type") == "button":
        assert len(element["text"]["text"]) <= 75
        assert len(element.get("value", "")) <= 2000
    for option in element.get("options", []):
        assert len(option["text"]["text"]) <= 75
        assert 0 < len(option["value"]) <= 150
    if "options" in element:
        assert len(element["options"]) <= 100
    if "confirm" in element:  # "Reference: composition objects", confirmation dialog
        confirm = element["confirm"]
        assert len(confirm["title"]["text"]) <= 100
        assert len(confirm["text"]["text"]) <= 300
        assert len(confirm["confirm"]["text"]) <= 30 and len(confirm["deny"]["text"]) <= 30


def check_blocks(blocks: list[dict], max_blocks: int) -> None:
    assert 0 < len(blocks) <= max_blocks, f"{len(blocks)} blocks"
    for block in blocks:
        kind = block["type"]
        if kind == "section":
            check_text(block["text"]["text"], "section")
            if "accessory" in block:
                check_element(block["accessory"])
        elif kind == "header":
            assert len(block["text"]["text"]) <= 150
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10
            for element in block["elements"]:
                check_text(element["text"], "context")
        elif kind == "actions":
            assert len(block["elements"]) <= 25
            for element in block["elements"]:
                check_element(element)
        elif kind == "input":
            check_element(block["element"])


def check_message(message: dict) -> None:
    check_blocks(message["blocks"], 50)
    assert len(message.get("text", "")) <= 40_000


def check_view(view: dict) -> None:
    check_blocks(view["blocks"], 100)
    assert len(view.get("private_metadata", "")) <= 3000


FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.lists(items, min_size=1, max_size=20))
def test_item_messages_stay_within_slack_limits(listed):
    first = listed[0]
    footer = more_footer(PageRequest("latest", 20, 20, first.category), "Items 1–20")
    heading = latest_heading(len(listed), first.category)
    check_message(item_list_message(listed, heading, accessory=item_menu, footer=footer))
    check_message(item_list_message(listed, search_heading(first.title, 10, 10)))
    check_message(digest_message(listed))
    check_message(announcement_message(first))
    for shape in ("compact", "headline"):
        style = Style(shape, True, "<!subteam^S0123>")
        check_message(digest_message(listed, style))
        check_message(announcement_message(first, style))
    check_message(thread_parent_message("2026-11-29", "29 November", 9999))
    check_message(retraction_message(first))
    check_message(saved_message(first, added=True, messages_updated=3))
    check_message(deleted_message(first, messages_updated=2))


@FAST
@given(items, st.lists(sized(500).filter(bool), max_size=120))
def test_item_views_stay_within_slack_limits(item, categories):
    context = FormContext(item_id=item.id, channel_id="C123")
    check_view(delete_confirm_view(item, context))
    check_view(item_form_view(categories, date(2026, 11, 20), context, item))
    check_view(item_form_view(categories, date(2026, 11, 20), FormContext()))
    rules = ChannelRules(
        categories=tuple(categories[:3]),
        matching=item.title,
        excluding=(item.summary or "")[:1000],
        sources=(1, 2),
        mention=Mention("S0123", "ops"),
        thread="daily",
    )
    sources = [(n, name) for n, name in enumerate(categories)]
    check_view(rules_form_view("C123", rules, categories, sources))


@FAST
@given(
    st.lists(items, max_size=20),
    st.lists(st.builds(Count, sized(500).filter(bool), st.integers(0, 10**6)), max_size=70),
    st.lists(sized(500).filter(bool), min_size=1, max_size=30),
    sized(2000),
    links(2000),
    st.booleans(),
)
def test_home_categories_sources_and_subscriptions_stay_within_limits(
    listed, counts, categories, text, url, admin
):
    source = FakeSource(
        7, url or "https://a.example/feed", url, "rss", text or None, text[:500] or None,
        1800, None, NOW, text or None, 3,
    )  # fmt: skip
    subscription = FakeSubscription(
        "C123", list(categories), "daily", "09:00", "Europe/Zurich", NOW, text, NOW
    )
    home = HomeContent(listed, counts, [subscription] * 3, 0, [source] * 20, 5)
    check_view(home_view(home, is_admin=admin))
    check_message(categories_message(counts, uncategorised=4))
    check_message(sources_list_message([(source, 12)] * 23))
    check_blocks(source_blocks(source, 5), 50)
    check_message(subscriptions_message([subscription] * 10))
    check_message(
        subscribed_message(
            "C123", categories, "instant", None, None, created=True, resumed=False,
            joined=True, unknown_categories=categories,
        )
    )  # fmt: skip
    entry = FakeAudit(NOW, "UADMIN", "edited", 4, text or "t", text)
    check_message(audit_message([entry] * 40))


def test_a_link_too_long_to_show_is_plain_text():
    item = FakeItem(1, "Long", "https://news.example.org/" + "a" * 2685, None, None, NOW)
    section = announcement_message(item)["blocks"][0]["text"]["text"]
    assert section == "*Long*"
    short = FakeItem(2, "Short", "https://news.example.org/a?b=1&c=2", None, None, NOW)
    section = announcement_message(short)["blocks"][0]["text"]["text"]
    assert section == "*<https://news.example.org/a?b=1&c=2|Short>*"


@dataclass
class FakeScheduled:
    id: int
    title: str
    url: str | None
    category: str | None
    summary: str | None
    publish_at: datetime
    created_by: str
    published_at: datetime


scheduled_items = st.builds(
    FakeScheduled,
    st.integers(1, 2**31),
    sized(500).filter(bool),
    links(2000),
    st.one_of(st.none(), sized(200)),
    st.one_of(st.none(), sized(3000)),
    st.just(NOW),
    st.just("UADMIN"),
    st.just(NOW),
)


@FAST
@given(items, st.lists(items, max_size=5), st.lists(scheduled_items, max_size=12), sized(500))
def test_featured_and_scheduled_stay_within_limits(featured, listed, waiting, error):
    from bot.blocks.scheduled import (
        cancelled_message,
        publish_failed_notice,
        scheduled_message,
    )
    from bot.listeners.events.home import HOME_ITEMS

    assert len(listed) <= HOME_ITEMS
    sources = [
        FakeSource(7, "https://a.example/feed", None, "rss", "t", None, 1800, None, NOW, "e", 3)
    ] * 20
    home = HomeContent(
        listed,
        [],
        [],
        0,
        sources,
        5,
        featured=featured,
        scheduled=waiting[:10],
        more_scheduled=len(waiting),
    )
    check_view(home_view(home, is_admin=True))
    check_message(item_list_message([featured, *listed], "*h*", featured_id=featured.id))
    check_message(digest_message([*listed, featured] * 4, featured_id=featured.id))
    for row in waiting[:2]:
        context = FormContext(scheduled_id=row.id)
        check_view(item_form_view([], date(2026, 11, 20), context, row, row.publish_at))
        check_message(scheduled_message(row, edited=True))
        check_message(cancelled_message(row))
        check_message(publish_failed_notice(row, error))
