"""Hostile search text: never an error, and every plan agrees with the rules."""

from __future__ import annotations

import pytest

from domain.words import parse_query
from tests.test_search_answers import PLANS, archive, expected_pages, pages, reference, use_plan  # noqa: F401

HOSTILE = [
    "!!!",
    '"',
    '""',
    '"""',
    '"coop',
    'coop"',
    "NEAR(coop union)",
    "coop OR union",
    "coop AND union",
    "coop NOT union",
    "coop*",
    "^coop",
    "title:coop",
    "title : coop",
    "(coop)",
    "{title}: coop",
    "-coop",
    "coop + union",
    "'coop'",
    "o'coop",
    "\\",
    "%_%",
    "coop; DROP TABLE items; --",
    "x" * 400,
    " ".join(["coop"] * 50),
    " ".join(f"w{n}" for n in range(40)),
    "Straße",
    "strasse",
    "ﬁ",
    "ǅ",
    "İstanbul",
    "e\u0301conomie",
    "économie",
    "ÉCONOMIE",
    "agtaş",
    "AGTAŞ",
    "\u200bcoop",
    "coop\x00",
    "<coop>",
    "&amp;",
    "coop:",
    ":",
    "*",
    "^",
    "NEAR",
    "OR",
    "AND",
    "NOT",
    '"NEAR"',
    "union unions",
    "'",
    "''",
    "coop & union",
    "coop | union",
    "!coop",
    "coop <-> union",
    "coop:*",
]


@pytest.mark.parametrize("plan", list(PLANS))
def test_hostile_queries(archive, monkeypatch, plan):  # noqa: F811
    db, items = archive
    use_plan(monkeypatch, plan)
    for text in HOSTILE:
        if not parse_query(text):
            continue
        assert pages(db, text, 10) == expected_pages(reference(items, text), 10), repr(text)
