"""The ILO listing parser, on the real seed page and on the variations real pages show."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sources.ilo import NotAListing, parse_date, parse_listing

SEED = Path(__file__).resolve().parent.parent / "data" / "ilo-coop-news-2017.txt"


def test_seed_page_has_ten_complete_entries():
    parsed = parse_listing(SEED.read_text(encoding="utf-8"))
    assert parsed.warnings == []
    assert [e.position for e in parsed.entries] == list(range(1, 11))
    first, second = parsed.entries[:2]
    assert first.category == "News"
    assert first.title == "ILO SSE Academy in Seoul concluded successfully"
    assert first.published == date(2017, 7, 10)
    assert first.summary.startswith("The 8th edition of the ILO SSE Academy")
    assert second.category == "COOP Champions"
    assert second.title == "Özge Berber-Agtaş, ILO Office for Turkey in Ankara"
    assert parsed.entries[3].category == "International Day of Cooperatives"


VARIED = """News, stories and statements on cooperatives

  11. Article

    Cooperatives & the future of work

    3 March 2023

  12. © Jane Doe / ILO 2023

    Spotlight Interviews with Co-operators

    Meet a <b>bold</b> co-operator

    14 February 2023

    A conversation about member-owned
    enterprises in Kenya.

  13. © Photographer Name / Some Org 2023

    A photo-led story with no category line

    01 February 2023

    Summary of the photo story.

  14. Decent work

    Entry whose page was cut before its date
"""


def test_variations_of_real_pages():
    parsed = parse_listing(VARIED)
    by_title = {e.title: e for e in parsed.entries}
    assert list(by_title) == [
        "Cooperatives & the future of work",
        "Meet a <b>bold</b> co-operator",
        "A photo-led story with no category line",
    ]
    no_summary = by_title["Cooperatives & the future of work"]
    assert (no_summary.category, no_summary.summary) == ("Article", None)
    assert no_summary.published == date(2023, 3, 3)
    credit_then_category = by_title["Meet a <b>bold</b> co-operator"]
    assert credit_then_category.category == "Spotlight Interviews with Co-operators"
    assert credit_then_category.summary == "A conversation about member-owned enterprises in Kenya."
    credit_only = by_title["A photo-led story with no category line"]
    assert credit_only.category is None  # a credit line is neither a title nor a category
    # the cut-off entry is skipped with a warning, never given an invented date
    assert parsed.warnings == ["entry 14: incomplete (no date), skipped"]


def test_entry_cut_after_category_is_skipped():
    text = "  1. News\n\n    A title\n\n    10 July 2017\n\n  2. News\n"
    parsed = parse_listing(text)
    assert len(parsed.entries) == 1
    assert parsed.warnings == ["entry 2: incomplete (no date), skipped"]


def test_numbers_inside_summaries_do_not_start_entries():
    text = "  1. News\n\n    Title\n\n    10 July 2017\n\n    Targets:\n    2030. An agenda\n"
    parsed = parse_listing(text)
    assert len(parsed.entries) == 1
    assert "2030. An agenda" in parsed.entries[0].summary


@pytest.mark.parametrize(
    "text",
    ["", "hello world\n", "<html><body>Not a listing</body></html>", "1. News\n\nno date here\n"],
)
def test_not_a_listing(text):
    with pytest.raises(NotAListing):
        parse_listing(text)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("06 July 2017", date(2017, 7, 6)),
        ("6 July 2017", date(2017, 7, 6)),
        ("July 6, 2017", date(2017, 7, 6)),
        ("06 Sept 2017", date(2017, 9, 6)),
        ("31 February 2017", None),
        ("06 Julember 2017", None),
        ("sometime in 2017", None),
    ],
)
def test_parse_date_never_guesses(text, expected):
    assert parse_date(text) == expected


def test_blank_lines_with_spaces_and_crlf_still_separate_fields():
    text = "  1. News\r\n   \r\n    A title\r\n \t \r\n    10 July 2017\r\n\r\n    Summary.\r\n"
    entry = parse_listing(text).entries[0]
    assert (entry.category, entry.title, entry.summary) == ("News", "A title", "Summary.")
