"""Slack's encoding of typed text is decoded once, where a command enters.

Unit tests of bot/slack_text.py, then the handed case
../shared/cases/slash-text-escaped (all three steps) as signed requests to the
Procfile's web process, with `coopnews import` and `coopnews announce` as an
operator runs them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.slack_text import decode_command_text
from tests.conftest import app_environment, run_cli

CASE = Path(__file__).parent / "cases" / "slash-text-escaped"


@pytest.mark.parametrize(
    ("wire", "typed"),
    [
        ("latest 3 Food &amp; Farming", "latest 3 Food & Farming"),
        ("search a &lt;b&gt; c", "search a <b> c"),
        ("search &amp;lt;", "search &lt;"),  # someone typed "&lt;": decoded once, not twice
        (
            "sources add <https://a.example/f?x=1&amp;y=2>",
            "sources add https://a.example/f?x=1&y=2",
        ),
        ("sources add <https://a.example/f|a.example/f>", "sources add https://a.example/f"),
        ("sources add https://a.example/f?x=1&amp;y=2", "sources add https://a.example/f?x=1&y=2"),
        ("subscribe <#C0123|jobs>", "subscribe #jobs"),
        ("subscribe <#C0123>", "subscribe #C0123"),
        ("search <@U0456> <@U0789|mira>", "search @U0456 @mira"),
        ("search <!subteam^S012|@ops> <!subteam^S034>", "search @ops @S034"),
        ("search <!channel> <!here|here>", "search @channel @here"),
        ("search <mailto:a@b.example|a@b.example>", "search a@b.example"),
        ("latest x\x00y\x07z", "latest xyz"),
        ("", ""),
    ],
)
def test_decode_command_text(wire, typed):
    assert decode_command_text(wire) == typed


def test_slash_text_escaped_case(
    slack_private_sources, fake, db, database_url, feed_server, tmp_path
):
    slack = slack_private_sources
    env = app_environment(database_url, fake, COOPNEWS_ALLOW_PRIVATE_SOURCES="1")

    # 1. A category with "&" arrives as "&amp;" and still matches.
    assert run_cli("import", str(CASE / "before.txt"), env=env).returncode == 0
    body = slack.command("latest 3 Food &amp; Farming").json()
    assert "Dairy farmers pool their milk in a new co-op" in str(body["blocks"])
    assert "The 1 newest item in Food &amp; Farming" in body["blocks"][0]["text"]["text"]
    assert "&amp;amp;" not in str(body)

    # 2. A subscription to it is stored as typed, and the new item is announced.
    body = slack.command("subscribe Food &amp; Farming", user_id="UADMIN", channel_id="CFOOD")
    assert "“Food &amp; Farming”" in body.json()["text"]
    assert "No items have the category" not in body.json()["text"]
    assert run_cli("import", str(CASE / "after.txt"), env=env).returncode == 0
    announced = run_cli("announce", env=env)
    assert announced.returncode == 0, announced.stderr
    posted = fake.posted("CFOOD")
    assert len(posted) == 1
    assert "Seed library opens in the grain co-op" in str(posted[0]["blocks"])

    # 3. A feed URL with a query string, as Slack sends it, is fetched as typed.
    path = "/feed?cat=news&lang=en"
    feed_server.serve(path, (CASE / "feed.xml").read_bytes())
    wire_url = feed_server.url(path).replace("&", "&amp;")
    ack = slack.command(f"sources add {wire_url}", user_id="UADMIN").json()
    assert "Reading" in ack["text"]
    answer = fake.wait_for("response_url", 1, timeout=20)[-1].params
    assert "Not added" not in answer["text"], answer["text"]
    assert [r.path for r in feed_server.requests] == [path]


def test_first_link_of_a_message():
    from bot.slack_text import first_link

    text = "see <mailto:a@b.org|mail> and <https://coop.example/a?x=1&amp;y=2|the story> <http://b.example>"
    assert first_link(text) == "https://coop.example/a?x=1&y=2"
    assert first_link("<https://coop.example/only>") == "https://coop.example/only"
    assert (
        first_link("plain https://coop.example/p?a=1&amp;b=2.") == "https://coop.example/p?a=1&b=2"
    )
    assert first_link("no link <@U123> <#C1|news> <!here>") is None
    assert first_link("") is None and first_link(None) is None


def test_message_link_looks_in_blocks_and_attachments_too():
    from bot.slack_text import message_link

    rich = {
        "text": "",
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "text", "text": "see "},
                            {"type": "link", "url": "mailto:a@b.org"},
                            {"type": "link", "url": "https://coop.example/rich"},
                        ],
                    }
                ],
            }
        ],
    }
    assert message_link(rich) == "https://coop.example/rich"
    attached = {"text": "no link", "attachments": [{"title_link": "https://coop.example/att"}]}
    assert message_link(attached) == "https://coop.example/att"
    assert message_link({**rich, "text": "<https://coop.example/t>"}) == "https://coop.example/t"
    assert message_link({"text": "none"}) is None and message_link(None) is None
