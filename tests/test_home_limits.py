"""App Home with every section at its largest stays within Slack's limits.

Each section is capped on its own (items, suggestions, scheduled, categories,
channels, follows, sources); this checks they still fit together in one view
(Slack: at most 100 blocks, 3,000 characters a section).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.blocks.home import HOME_CATEGORIES, HomeContent, home_view
from bot.blocks.scheduled import HOME_SCHEDULED
from bot.blocks.suggestions import HOME_SUGGESTIONS
from bot.listeners.events.home import HOME_ITEMS
from storage.follows import MAX_FOLLOWS
from storage.home import HOME_LIST_LIMIT
from tests.test_block_limits import (
    Count,
    FakeItem,
    FakeScheduled,
    FakeSource,
    FakeSubscription,
    check_view,
)

NOW = datetime(2026, 11, 29, 10, tzinfo=UTC)
LONG = "<!channel> " + "word " * 700


@dataclass
class FakeSuggestion:
    id: int
    suggested_by: str
    title: str
    url: str | None
    category: str | None
    summary: str | None
    site_name: str | None
    state: str
    decided_by: str | None
    reason: str | None
    published_at: datetime


@dataclass
class FakeFollow:
    keywords: str
    category_key: str | None


def full_home() -> HomeContent:
    item = FakeItem(1, LONG[:500], "https://a.example/" + "x" * 1900, LONG[:200], LONG, NOW)
    return HomeContent(
        items=[item] * HOME_ITEMS,
        categories=[Count(f"{LONG[:150]}{n}", n) for n in range(HOME_CATEGORIES * 3)],
        subscriptions=[
            FakeSubscription(f"C{n:08d}", [LONG[:200]] * 30, "instant", None, None, NOW, LONG, NOW)
            for n in range(HOME_LIST_LIMIT)
        ],
        more_subscriptions=500,
        sources=[
            FakeSource(n, "https://a.example/feed", None, "rss", LONG, None, 1800, None, NOW, LONG, 3)
            for n in range(HOME_LIST_LIMIT)
        ],
        more_sources=500,
        follows=[FakeFollow(LONG[:300], "news") for _ in range(MAX_FOLLOWS)],
        spellings={"news": LONG[:200]},
        suggestions=[
            FakeSuggestion(n, "UMEMBER", LONG[:500], None, None, LONG, LONG[:200], "pending", None, None, NOW)
            for n in range(HOME_SUGGESTIONS)
        ],
        pending_suggestions=400,
        featured=item,
        scheduled=[
            FakeScheduled(n, LONG[:500], None, None, None, NOW, "UADMIN", NOW)
            for n in range(HOME_SCHEDULED)
        ],
        more_scheduled=300,
    )


def test_an_admins_home_with_every_section_full_fits_in_one_view():
    view = home_view(full_home(), is_admin=True)
    check_view(view)


def test_a_members_home_with_every_section_full_fits_and_shows_no_admin_parts():
    view = home_view(full_home(), is_admin=False)
    check_view(view)
    text = str(view)
    assert "Scheduled" not in text and "Sources" not in text
