"""Item text is data: it can never ping, mention or disguise a link."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.blocks.announce import announcement_message, digest_message, retraction_message
from bot.blocks.items import item_list_message, latest_heading
from bot.blocks.text import escape, link, safe_url, shorten
from tests.block_kit import mrkdwn_texts
from tests.test_http_latest import make_items

HOSTILE = [
    "<!channel> read this",
    "<!here|here>",
    "<@U024BE7LH> and <#C024BE7LH>",
    "<https://evil.example|https://www.ilo.org>",
    "Fish & chips &amp; &lt;!channel&gt;",
    "<!subteam^S123>",
    "> quoted <",
]


@dataclass
class FakeItem:
    id: int
    title: str
    url: str | None
    category: str | None
    summary: str | None
    published_at: datetime = datetime(2026, 1, 2, tzinfo=UTC)


# After escaping, the only `<...>` allowed is our own link, `<http(s)://...|label>`.
CONTROL = re.compile(r"<(?!https?://[^|<>\s]+\|)")
# `&` only as the start of one of the three entities Slack decodes.
BARE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def assert_safe(message: dict, raw_texts: list[str]) -> None:
    for text in mrkdwn_texts(message):
        assert not CONTROL.search(text), text
        assert not BARE_AMP.search(text), text
        for raw in raw_texts:
            if "<" in raw or "&" in raw:
                assert raw not in text


def messages_for(item: FakeItem) -> list[dict]:
    return [
        item_list_message([item], latest_heading(1, item.category)),
        announcement_message(item),
        digest_message([item, item]),
        retraction_message(item),
    ]


# Pieces that make mrkdwn control sequences, combined at random with other text.
PIECES = ["<", ">", "&", "!", "|", "@", "#", "^", "channel", "here", "http://x.y", "&amp;", " "]
text_strategy = st.lists(
    st.one_of(st.sampled_from(PIECES + ["<!channel>", "<@U1>"]), st.text(max_size=5)),
    max_size=12,
).map("".join)


@given(title=text_strategy, summary=text_strategy, category=text_strategy)
def test_any_item_text_stays_data(title, summary, category):
    item = FakeItem(1, title or "x", "https://example.org/a", category or None, summary or None)
    for message in messages_for(item):
        assert_safe(message, [])
        json.dumps(message)  # serialisable as Slack needs it


def test_known_hostile_strings():
    for text in HOSTILE:
        item = FakeItem(2, text, None, text, text)
        for message in messages_for(item):
            assert_safe(message, [text])
    assert escape("<!channel>") == "&lt;!channel&gt;"


def test_links_only_for_http_and_never_broken_out_of():
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("ftp://example.org/x") is None
    assert safe_url("www.ilo.org") is None
    assert link("https://a.example/x|<!channel>", "t") == "<https://a.example/x%7C%3C!channel%3E|t>"
    assert link("javascript:alert(1)", "<b>") == "&lt;b&gt;"


def test_shorten_cuts_at_a_word_boundary():
    text = "cooperatives build " * 30
    short = shorten(text, 50)
    assert short.endswith("…") and len(short) <= 51
    assert short[:-1].split()[-1] in ("cooperatives", "build")
    assert shorten("  a   b  ", 10) == "a b"


def test_hostile_items_over_http(slack, db):
    make_items(db, [(t, i, t, t, None) for i, t in enumerate(HOSTILE)])
    body = slack.command("latest 10").json()
    assert_safe(body, HOSTILE)
    raw = json.dumps(body)
    assert "<!channel>" not in raw and "<@U024BE7LH>" not in raw
    assert "&lt;!channel&gt; read this" in raw


def test_hostile_category_argument_is_escaped(slack, db):
    make_items(db, [("Story", 1, "News", None, None)])
    # Typed "<!channel>" arrives escaped; decoded once, it is escaped again on the way out.
    body = slack.command("latest &lt;!channel&gt;").json()
    assert "<!channel>" not in json.dumps(body)
    assert "&lt;!channel&gt;" in body["text"]
    # A real @channel mention arrives as <!channel>: it is read as the text "@channel".
    body = slack.command("latest <!channel>").json()
    assert "<!channel>" not in json.dumps(body)
    assert "“@channel”" in body["text"]


@given(st.text(max_size=400), st.integers(min_value=2, max_value=300))
def test_shorten_never_exceeds_its_limit(text, limit):
    short = shorten(text, limit)
    assert len(short) <= limit
    if len(" ".join(text.split())) <= limit:
        assert short == " ".join(text.split())
