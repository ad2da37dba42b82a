"""Pure parts of announcements: schedules, category words, the pacer, message data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.announcer import ChannelPacer
from bot.blocks.subscriptions import paused_notice, subscriptions_message
from bot.channel_rules import parse_rules, split_categories
from bot.digest_schedule import (
    DigestSchedule,
    ScheduleError,
    from_stored,
    known_zone,
    next_run,
    parse_schedule,
)
from storage.categories import choice_keys, decode_choice, encode_choice, spelled


def test_parse_schedules():
    assert parse_schedule(["daily", "9:05"]) == (DigestSchedule("daily", 9, 5), [])
    schedule, rest = parse_schedule(["weekly", "Monday", "18:00", "News"])
    assert schedule == DigestSchedule("weekly", 18, 0, 0) and rest == ["News"]
    assert schedule.stored == "mon 18:00"
    assert from_stored("weekly", "mon 18:00") == schedule
    for words in (["daily"], ["daily", "24:00"], ["weekly", "09:00"], ["monthly", "09:00"], []):
        with pytest.raises(ScheduleError):
            parse_schedule(words)


def test_next_run_follows_the_timezone_across_dst():
    daily = DigestSchedule("daily", 9, 0)
    # Zurich: UTC+1 in winter, UTC+2 from 29 March 2026.
    before = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    assert next_run(daily, "Europe/Zurich", before) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    winter = datetime(2026, 1, 10, 7, 59, tzinfo=UTC)
    assert next_run(daily, "Europe/Zurich", winter) == datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    # exactly at the time: the next one, not the same
    at = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    assert next_run(daily, "Europe/Zurich", at) == datetime(2026, 1, 11, 8, 0, tzinfo=UTC)


def test_next_weekly_run_and_unknown_zone():
    monday = DigestSchedule("weekly", 9, 0, 0)
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert next_run(monday, "America/New_York", wednesday) == datetime(
        2026, 11, 30, 14, 0, tzinfo=UTC
    )
    assert known_zone("Mars/Olympus") == "UTC" and known_zone(None) == "UTC"
    assert next_run(monday, "Mars/Olympus", wednesday) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_category_words():
    known = {"news", "coop champions", "social economy"}
    assert split_categories(["News", "COOP", "Champions"], known) == ["News", "COOP Champions"]
    assert split_categories(["Green", "Energy", "news"], known) == ["Green Energy", "news"]
    assert parse_rules("a b, c", known).categories == ("a b", "c")
    request = parse_rules("digest daily 08:00 News", known)
    assert request.categories == ("News",) and request.schedule.hour == 8
    # One name per key, as first typed; shown as items spell them where items have them.
    stored = encode_choice(["News", " news ", "Foo  Bar", "COOP Champions"])
    assert decode_choice(stored) == ["COOP Champions", "Foo Bar", "News"]
    assert choice_keys(stored) == {"coop champions", "foo bar", "news"}
    assert spelled(decode_choice(stored), {"news": "NEWS"}) == ["COOP Champions", "Foo Bar", "NEWS"]
    assert decode_choice("news\ncoop champions") == ["news", "coop champions"]  # older rows
    assert decode_choice(None) == [] and encode_choice([]) is None


def test_pacer_spaces_each_channel_not_channels_from_each_other():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=sleep)
    for channel in ("A", "B", "A", "A", "B"):
        pacer.wait(channel)
    # A: 0, 1, 2; B goes at once, then its second waits for its own slot.
    assert slept == [1.0, 1.0]
    assert now[0] == 2.0


def test_list_and_notice_escape_problem_text():
    class Sub:
        channel_id = "C1"
        categories = ["news", "<!here>"]
        mode = "instant"
        schedule = None
        timezone = None
        paused_at = datetime(2026, 1, 1, tzinfo=UTC)
        problem = "weird <@U1> thing"
        last_posted_at = None

    text = subscriptions_message([Sub()])["blocks"][1]["text"]["text"]
    assert "<!here>" not in text and "&lt;!here&gt;" in text
    assert "<@U1>" not in text and "Last posted: never" in text
    notice = paused_notice("C1", "not_in_channel")["text"]
    assert "<#C1>" in notice and "no longer a member" in notice


def test_digest_threshold_setting():
    from bot.settings import SettingsError, load_settings

    assert load_settings({}).digest_threshold == 5
    assert load_settings({"COOPNEWS_DIGEST_THRESHOLD": "0"}).digest_threshold == 0
    with pytest.raises(SettingsError, match="COOPNEWS_DIGEST_THRESHOLD"):
        load_settings({"COOPNEWS_DIGEST_THRESHOLD": "-1"})
