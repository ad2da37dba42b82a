"""Hostile command text to every quick subcommand: a clear answer, never the apology."""

from __future__ import annotations

import json

import pytest

from tests.test_http_latest import make_items

TEXTS = [
    "latest 99999999999999999999999999",
    "latest -1",
    "latest 0",
    "latest 1e3",
    "latest 0x10",
    "latest ２",
    "latest ٣",
    "latest 5 " + "x" * 3000,
    "latest \x00",
    "latest 5 *",
    "latest 5 %",
    "latest NaN",
    "latest inf",
    "latest 5 News News",
    "latest 3 \u202e",
    "LATEST",
    "  latest   2  ",
    "search",
    'search "',
    "search " + "a " * 2000,
    "search ٣",
    "search \u0000",
    "search *",
    "search NEAR(a b)",
    "search title:coop",
    "categories extra words",
    "categories " + "z" * 5000,
    "help me",
    "help " + "\U0001f600" * 100,
    "follows x",
    "unfollow",
    "unfollow 0",
    "unfollow -1",
    "unfollow 99999999999999999999999",
    "unfollow ١",
    "unfollow x",
    "follow",
    'follow "',
    "follow " + "w" * 400,
    "follow a in",
    "follow in",
    "follow , , ,",
    "sources 1",
    "audit 99999999999999999",
    "audit -3",
    "scheduled x",
    "review",
    "subscriptions",
    "\u200b",
    "sources poll 99999999999999999999",
    "sources pause -1",
    "sources interval 1 99999999999999999999",
    "sources interval 1 -5",
    "sources remove x",
    "suggest",
    "suggest notaurl",
    "suggest javascript:alert(1)",
    "suggest http://[::1",
    "suggest http://" + "a" * 3000,
    "add http://[",
    "add ftp://x",
]


@pytest.mark.parametrize("user", ["UMEMBER", "UADMIN"])
def test_hostile_command_text_gets_an_answer(bolt, fake, db, user):
    make_items(db, [("Coop news", 1, "News", "about a coop", "https://c.example/1")])
    for text in TEXTS:
        response = bolt.command(text, user_id=user)
        assert response.status_code == 200, text
        bolt.settle()
        body = response.json() if response.text else {}
        shown = json.dumps(body) + json.dumps(fake.calls_to("response_url"))
        assert "went wrong" not in shown, (text, shown[:300])
