"""A forged "More" value (signed, as Slack relays any button value) holding a NUL: no
page at all, as other forged values are; on PostgreSQL it reached the store, which
refuses NUL in text, and the member got "coopnews cannot do that right now ... tell
your coopnews admin" with an error logged."""

from __future__ import annotations

import json

import pytest

from tests.test_http_latest import make_items
from tests.test_http_search import click_more

FORGED = [
    {"k": "latest", "o": 1, "n": 1, "c": "Ne\x00ws"},
    {"k": "latest", "o": 0, "n": 3, "c": "\x00"},
    {"k": "search", "o": 10, "q": "coop\x00"},
]


@pytest.mark.parametrize("value", FORGED, ids=["category", "only-nul", "query"])
@pytest.mark.parametrize("user", ["UMEMBER", "UADMIN"])
def test_a_forged_more_value_with_a_nul_is_no_page(bolt, fake, db, caplog, value, user):
    make_items(db, [(f"Coop news {n}", n, "News", "about a coop", None) for n in range(12)])
    got = click_more(bolt, fake, json.dumps(value), user)
    assert got["text"] == "There is nothing more to show.", got
    assert got.get("replace_original") is False
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
