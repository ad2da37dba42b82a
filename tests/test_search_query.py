"""Search queries as data: parsing, the engines' syntax, the "More" button's value."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.blocks.paging import PageRequest, more_footer, page_value, read_page
from storage import search
from storage.search import SearchQuery, fts5_expression, parse_query, tsquery_text


def test_words_phrases_and_case():
    assert parse_query('Housing "Social  Economy" coop-news') == SearchQuery(
        words=("housing", "coop", "news"), phrases=(("social", "economy"),)
    )
    assert parse_query("\u201cla économie\u201d") == SearchQuery(phrases=(("la", "économie"),))
    assert not parse_query('* - "" : ( )')


def test_repeated_words_count_once_and_length_is_bounded():
    assert parse_query("coop coop COOP").words == ("coop",)
    query = parse_query(" ".join(f"w{i}" for i in range(100)))
    assert len(query.words) == search.MAX_WORDS
    assert parse_query("x" * 10_000).words == ("x" * search.MAX_QUERY_CHARS,)
    many = parse_query(" ".join(f'"a{i} b{i} c{i}"' for i in range(10)) + " extra")
    assert sum(len(p) for p in many.phrases) == search.MAX_WORDS and many.words == ()


def test_fts5_expression_quotes_every_word():
    query = parse_query('near OR coop "social economy"')
    assert fts5_expression(query) == (
        '("near" OR "nears") AND "or" AND ("coop" OR "coops") AND "social economy"'
    )


def test_variants_add_or_drop_a_final_s():
    assert search.variants("cooperative") == ("cooperative", "cooperatives")
    assert search.variants("cooperatives") == ("cooperatives", "cooperative")
    assert search.variants("business") == ("business", "businesss")
    assert search.variants("ilo") == ("ilo",)


def test_tsquery_text():
    query = parse_query('coop "a b"')
    assert tsquery_text(query) == "('coop' | 'coops') & ('a' <-> 'b')"


@given(st.text())
def test_any_text_gives_only_quoted_plain_words(text):
    query = parse_query(text)
    for word in query.words + tuple(w for p in query.phrases for w in p):
        assert word and re.fullmatch(r"[^\W_]+", word)
    expression = fts5_expression(query)
    # Outside the quoted strings only our own operators remain.
    outside = re.sub(r'"[^"]*"', "", expression)
    assert re.sub(r"AND|OR|[() ]", "", outside) == ""


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_search_never_fails_on_any_text(db, text):
    with db.reading() as session:
        page = search.search(session, parse_query(text))
    assert page.items == [] and page.has_more is False


def test_page_values_round_trip_and_forgeries_are_refused():
    for page in (
        PageRequest("latest", 10, count=5, category="COOP Champions"),
        PageRequest("latest", 5, count=5),
        PageRequest("search", 20, query='"économie sociale" coop'),
    ):
        assert read_page(page_value(page)) == page
    for forged in (
        None,
        "",
        "[]",
        "{",
        '{"k":"search","o":"1"}',
        '{"k":"latest","o":1,"n":-1}',
        '{"k":"latest","o":1,"n":5,"c":7}',
        '{"k":"search","o":1,"q":["x"]}',
        '{"k":"admin","o":1}',
    ):
        assert read_page(forged) is None, forged


def test_more_footer_fits_slack_limits():
    page = PageRequest("search", 10, query="é" * search.MAX_QUERY_CHARS)
    footer = more_footer(page, "Results 1–10")
    button = footer[1]["elements"][0]
    assert button["action_id"] == "coopnews_more"
    assert len(button["value"]) <= 2000
    assert json.loads(button["value"])["q"] == page.query
