"""Block Kit for search, categories, paging and App Home, as data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.blocks.categories import categories_message
from bot.blocks.home import HomeContent, channel_mention, home_view, source_line
from bot.blocks.items import item_list_message
from bot.blocks.search import no_results_message, search_heading
from storage.categories import CategoryCount

NOW = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class FakeItem:
    id: int
    title: str
    url: str | None = None
    category: str | None = "News"
    summary: str | None = None
    published_at: datetime = NOW


@dataclass
class FakeSource:
    url: str
    title: str | None = None
    paused_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    items: int = 0


def test_a_full_page_of_twenty_fits_in_fifty_blocks_with_the_footer():
    items = [FakeItem(i, f"T{i}") for i in range(20)]
    footer = [{"type": "context", "elements": []}, {"type": "actions", "elements": []}]
    message = item_list_message(items, "*h*", footer=footer)
    assert len(message["blocks"]) <= 50
    assert not any(b["type"] == "divider" for b in message["blocks"])
    short = item_list_message(items[:5], "*h*")
    assert sum(b["type"] == "divider" for b in short["blocks"]) == 5


def test_search_texts_escape_what_the_user_typed():
    heading = search_heading("<!channel> & <@U1>", 0, 3)
    assert heading == "*Results for “&lt;!channel&gt; &amp; &lt;@U1&gt;”*"
    assert "(11–13)" in search_heading("x", 10, 3)
    assert "&lt;!here&gt;" in no_results_message("<!here>", False)["text"]


def test_categories_message_splits_long_lists():
    counts = [CategoryCount(f"Cat <{i}>", 100 - i) for i in range(70)]
    message = categories_message(counts, uncategorised=2)
    sections = [b for b in message["blocks"] if b["type"] == "section"]
    assert sections[0]["text"]["text"] == "*70 categories*"
    lines = "\n".join(s["text"]["text"] for s in sections[1:]).split("\n")
    assert lines[0] == "• Cat &lt;0&gt;: 100"
    assert "…and 10 more" in lines and lines[-1] == "• _no category_: 2"
    assert all(len(s["text"]["text"]) <= 3000 for s in sections)


def test_home_view_admin_parts_only_for_admins():
    content = HomeContent(
        items=[FakeItem(1, "One")],
        categories=[CategoryCount("News", 1)],
        subscriptions=[],
        sources=[FakeSource("https://x.example/feed", "X")],
    )
    member = json.dumps(home_view(content, is_admin=False))
    admin = json.dumps(home_view(content, is_admin=True))
    assert "open_add_item" not in member and "https://x.example/feed" not in member
    assert "open_add_item" in admin and "https://x.example/feed" in admin
    assert home_view(content, is_admin=True)["type"] == "home"


def test_channel_mentions_only_for_well_formed_ids():
    assert channel_mention("C0123ABC") == "<#C0123ABC>"
    assert channel_mention("<!channel>") == "&lt;!channel&gt;"
    assert channel_mention("c0123") == "c0123"


def test_source_line_states():
    assert ":white_check_mark: ok · 3 items" in source_line(
        FakeSource("https://a.example", items=3)
    )
    paused = source_line(FakeSource("https://a.example", paused_at=NOW, last_error="gone <b>"))
    assert ":double_vertical_bar: paused" in paused and "gone &lt;b&gt;" in paused
    assert "javascript" not in source_line(FakeSource("javascript:alert(1)", "Evil"))
