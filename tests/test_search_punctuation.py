"""Punctuation splits words alike on SQLite and PostgreSQL (migration 0024): FTS5's
unicode61 splits an item's text at every character that is not a letter or a digit,
and PostgreSQL's documents now do too, where its parser kept compound tokens
("COVID-19" as `covid` and `-19`, "1.5", URLs, e-mail addresses and paths whole), so
`search COVID-19`, `search 1.5` or a word inside a URL found nothing on PostgreSQL.
Signed `/coopnews search` requests (`bolt`); the expected titles are SQLite's answers
(the reference); the file runs on both databases."""

from __future__ import annotations

import pytest

from tests.test_http_latest import make_items, titles_in

# (title, days ago, summary)
ITEMS = [
    ("COVID-19 recovery plan", 1, None),
    ("COVID recovery takes 19 months", 2, None),
    ("Rates rise 1.5 percent", 3, None),
    ("5 lessons from 1 coop", 4, None),
    ("The co-op movement grows", 5, None),
    ("Why members don't leave", 6, None),
    ("Housing a/b trial", 7, None),
    ("Contact the desk", 8, "Write to x@y.org today"),
    ("ICA digest", 9, "Read https://www.ica.coop/en/news?id=3#top for more"),
    ("C++ tools for coops", 10, None),
    ("#jobs at the federation", 11, None),
    ("Interview", 12, "@mira answers"),
    ("Release v2.0.1 notes", 13, None),
    ("3,000 members join", 14, None),
    ("50% owned by workers", 15, None),
    ("The under_score rule", 16, None),
    ("Bread – roses", 17, None),
    ("Tea·time talks", 18, None),
    ("«Coopérative» award", 19, None),
]

SEARCHES = [
    ("COVID-19", ["COVID-19 recovery plan", "COVID recovery takes 19 months"]),
    ('"COVID-19"', ["COVID-19 recovery plan"]),
    ('"COVID-19 recovery"', ["COVID-19 recovery plan"]),
    ("1.5", ["Rates rise 1.5 percent", "5 lessons from 1 coop"]),
    ('"1.5"', ["Rates rise 1.5 percent"]),
    ("co-op", ["The co-op movement grows"]),
    ("op", ["The co-op movement grows"]),
    ("don't", ["Why members don't leave"]),
    ("a/b", ["Housing a/b trial"]),
    ("x@y.org", ["Contact the desk"]),
    ("org", ["Contact the desk"]),
    ("https://www.ica.coop/en/news?id=3#top", ["ICA digest"]),
    ("www news", ["ICA digest"]),
    ("C++", ["C++ tools for coops"]),
    ("#jobs", ["#jobs at the federation"]),
    ("@mira", ["Interview"]),
    ("v2.0.1", ["Release v2.0.1 notes"]),
    ('"v2 0 1"', ["Release v2.0.1 notes"]),
    ("3,000", ["3,000 members join"]),
    ("000", ["3,000 members join"]),
    ("50%", ["50% owned by workers"]),
    ("under_score", ["The under_score rule"]),
    ("score", ["The under_score rule"]),
    ("bread–roses", ["Bread – roses"]),
    ("tea·time", ["Tea·time talks"]),
    ("time", ["Tea·time talks"]),
    ("«cooperative»", ["«Coopérative» award"]),
]


@pytest.mark.parametrize(("typed", "expected"), SEARCHES)
def test_punctuation_splits_words_alike_on_both_databases(bolt, db, typed, expected):
    make_items(db, [(title, days, None, summary, None) for title, days, summary in ITEMS])
    body = bolt.command(f"search {typed}").json()
    assert titles_in(body) == expected, (typed, body["text"])
