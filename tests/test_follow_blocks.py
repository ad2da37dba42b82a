"""The follow builders stay within Slack's limits and escape what people typed and
what items hold (hostile text as in tests/test_block_limits.py)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from bot.blocks.follows import (
    corrected_dm,
    follow_digest_message,
    follow_item_message,
    followed_message,
    follows_message,
    unfollowed_message,
    unknown_category_message,
)
from bot.blocks.home import HomeContent, home_view
from domain.words import parse_keywords
from tests.test_block_limits import FAST, check_message, check_view, items, sized


@dataclass
class FakeFollow:
    keywords: str
    category_key: str | None


@dataclass
class FakeSent:
    digest: bool
    items: list
    follow: FakeFollow | None


follows = st.builds(
    FakeFollow,
    st.builds(lambda text: parse_keywords(text).text or "x", sized(2000)),
    st.one_of(st.none(), sized(200).filter(bool)),
)


@FAST
@given(st.lists(items, min_size=1, max_size=40), st.lists(follows, min_size=1, max_size=25),
       sized(500))  # fmt: skip
def test_follow_messages_and_home_stay_within_limits(listed, mine, name):
    spellings = {f.category_key: name or "x" for f in mine if f.category_key}
    check_message(follow_item_message(listed[0], mine[0]))
    check_message(follow_item_message(listed[0], None))
    check_message(follow_digest_message(listed))
    check_message(corrected_dm(listed[0], FakeSent(True, listed[1:], None)))
    check_message(corrected_dm(listed[0], FakeSent(False, [], mine[0])))
    check_message(follows_message(mine, spellings))
    check_message(followed_message(mine[0], 25, spellings, created=True))
    check_message(unfollowed_message(mine[0], spellings))
    check_message(unknown_category_message(name, [name or "x"] * 80))
    home = HomeContent(listed[:20], [], [], follows=mine, spellings=spellings)
    check_view(home_view(home, is_admin=True))


@FAST
@given(items)
def test_a_digest_carries_its_items_and_a_dm_its_follow(item):
    message = follow_digest_message([item] * 20)
    assert message["metadata"]["event_payload"] == {"item_ids": [item.id] * 16, "digest": True}
    single = follow_item_message(item, FakeFollow('housing, "fair trade"', None))
    assert single["metadata"]["event_payload"] == {"item_ids": [item.id], "digest": False}
