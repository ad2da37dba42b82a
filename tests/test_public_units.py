"""Pure parts of the public web: conditional GET rules, settings, the news request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.public.conditional import entity_tag, http_date, is_fresh
from bot.public.news import MAX_PAGE, NewsRequest
from bot.settings import SettingsError, load_settings
from storage.published import FeedState

CHANGED = datetime(2026, 11, 29, 20, 0, 0, 500_000, tzinfo=UTC)
STATE = FeedState(CHANGED, datetime(2026, 11, 29, 8, 0, tzinfo=UTC))


def test_entity_tags_differ_by_state_and_variant():
    tag = entity_tag(STATE, "atom")
    assert tag.startswith('"') and tag.endswith('"')
    assert tag == entity_tag(FeedState(CHANGED, STATE.newest_published), "atom")
    assert tag != entity_tag(STATE, "json")
    assert tag != entity_tag(FeedState(CHANGED, CHANGED), "atom")  # an item's time came
    assert STATE.last_modified == CHANGED
    assert FeedState(None, None).last_modified is None


@pytest.mark.parametrize(
    ("headers", "fresh"),
    [
        ({}, False),
        ({"HTTP_IF_NONE_MATCH": '"abc"'}, True),
        ({"HTTP_IF_NONE_MATCH": 'W/"abc"'}, True),  # weak comparison for GET
        ({"HTTP_IF_NONE_MATCH": '"x", "abc"'}, True),
        ({"HTTP_IF_NONE_MATCH": "*"}, True),
        ({"HTTP_IF_NONE_MATCH": '"old"'}, False),
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3).
        ({"HTTP_IF_NONE_MATCH": '"old"', "HTTP_IF_MODIFIED_SINCE": http_date(CHANGED)}, False),
        ({"HTTP_IF_MODIFIED_SINCE": http_date(CHANGED)}, True),  # same second
        ({"HTTP_IF_MODIFIED_SINCE": "Sun, 29 Nov 2026 19:59:59 GMT"}, False),
        ({"HTTP_IF_MODIFIED_SINCE": "not a date"}, False),
    ],
)
def test_is_fresh(headers, fresh):
    assert is_fresh(headers, '"abc"', CHANGED) is fresh


def test_public_settings():
    assert load_settings({}).public_web is False
    on = load_settings({"COOPNEWS_PUBLIC_WEB": "1", "COOPNEWS_PUBLIC_URL": "https://n.example/"})
    assert on.public_web is True and on.public_url == "https://n.example"
    with pytest.raises(SettingsError, match="COOPNEWS_PUBLIC_WEB must be 1 or 0"):
        load_settings({"COOPNEWS_PUBLIC_WEB": "maybe"})
    with pytest.raises(SettingsError, match="COOPNEWS_PUBLIC_URL must be an http"):
        load_settings({"COOPNEWS_PUBLIC_URL": "news.example.org"})


def test_news_request_is_bounded_and_links_keep_the_query():
    request = NewsRequest.parse({"q": ["  co-op   housing "], "page": ["99999"]})
    assert request == NewsRequest("co-op housing", "", MAX_PAGE)
    assert NewsRequest.parse({"page": ["-3"]}).page == 1
    assert request.link(2) == "/news?q=co-op+housing&page=2"
    assert NewsRequest(category="COOP Champions").link(1) == "/news?category=COOP+Champions"
