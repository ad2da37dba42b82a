"""Block Kit for sources, as data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.blocks.sources import (
    MAX_LISTED,
    added_message,
    every,
    failure_notice,
    sources_list_message,
)


@dataclass
class FakeSource:
    id: int = 7
    url: str = "https://coop.example/feed"
    feed_url: str | None = None
    kind: str | None = "rss"
    title: str | None = "Coop Voices"
    category: str | None = None
    interval_seconds: int = 1800
    paused_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    created_by: str | None = "UADMIN"
    next_poll_at: datetime | None = None
    retry_after_until: datetime | None = None


def test_list_shows_health_facts():
    healthy = FakeSource(last_success_at=datetime(2026, 6, 1, 9, 5, tzinfo=UTC), category="Housing")
    failing = FakeSource(
        id=8,
        title=None,
        url="https://broken.example/rss",
        paused_at=datetime(2026, 6, 2, tzinfo=UTC),
        last_error="HTTP 500 from https://broken.example/rss",
        failures=3,
        interval_seconds=7200,
    )
    message = sources_list_message([(healthy, 1), (failing, 0)])
    sections = [b for b in message["blocks"] if b.get("block_id", "").startswith("source-")]
    first, second = (s["text"]["text"] for s in sections)
    assert first.splitlines() == [
        "*7.* <https://coop.example/feed|Coop Voices>",
        "rss · every 30 min · Housing · 1 item",
        # Slack shows each reader the time in their own zone; UTC where it cannot.
        f"Last success: <!date^{int(healthy.last_success_at.timestamp())}^"
        "{date_short_pretty} {time}|01 June 2026 09:05 UTC> · next check: soon",
    ]
    assert second.splitlines()[0] == (
        "*8.* <https://broken.example/rss|https://broken.example/rss> · _paused_"
    )
    assert "every 2 hours" in second and "0 items" in second
    assert "Last success: never" in second
    assert "Last error: HTTP 500 from https://broken.example/rss (3 failures in a row)" in second
    assert message["text"].startswith("Sources: 7. Coop Voices; 8.")


def test_empty_list_explains_how_to_add():
    message = sources_list_message([])
    assert "/coopnews sources add URL [category]" in message["text"]


def test_feed_controlled_text_is_escaped():
    evil = FakeSource(
        title="<!channel> <https://evil.example|click>",
        category="<@U123>",
        last_error="bad <b> & worse",
        failures=5,
    )
    listed = sources_list_message([(evil, 0)])["blocks"][2]["text"]["text"]
    assert "<!channel>" not in listed and "<@U123>" not in listed
    assert "&lt;!channel&gt;" in listed and "&lt;@U123&gt;" in listed
    assert "bad &lt;b&gt; &amp; worse" in listed
    notice = failure_notice(evil)["text"]
    assert "<!channel>" not in notice and "&lt;!channel&gt;" in notice
    assert "failed 5 times in a row" in notice and "sources pause 7" in notice


def test_long_lists_stay_within_slacks_block_limit():
    rows = [(FakeSource(id=i), i) for i in range(40)]
    message = sources_list_message(rows)
    assert len(message["blocks"]) <= 50
    assert f"{40 - MAX_LISTED} more" in message["blocks"][-1]["elements"][0]["text"]


def test_every_and_added_message():
    assert every(1800) == "every 30 min"
    assert every(3600) == "every hour"
    assert every(5400) == "every 90 min"
    text = added_message(FakeSource(), 12, 3)
    assert text.startswith("Now following <https://coop.example/feed|Coop Voices> as source 7")
    assert "12 items stored (3 already present)" in text


def test_list_shows_the_next_check_why_it_waits_and_the_latest_note():
    at = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    waiting = FakeSource(next_poll_at=at, retry_after_until=at, last_error="HTTP 429 from x")
    plain = FakeSource(id=8, next_poll_at=at)
    message = sources_list_message(
        [(waiting, 0), (plain, 0)], {7: "entry 'x' skipped: the database refused it"}
    )
    first, second = (b["text"]["text"] for b in message["blocks"] if b.get("block_id"))
    shown = f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|01 June 2026 12:30 UTC>"
    assert f"next check: {shown} (the site asked us to wait)" in first
    assert "Latest note: entry 'x' skipped" in first
    assert f"next check: {shown}" in second and "asked us" not in second
    assert "Latest note" not in second
