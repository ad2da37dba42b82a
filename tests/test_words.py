"""Keyword rules (domain.words): read like search, matched without any pattern engine."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from domain.words import (
    MAX_TERMS,
    ItemWords,
    Keywords,
    SearchQuery,
    fold,
    parse_keywords,
)


def test_terms_are_comma_separated_and_quotes_keep_commas():
    rule = parse_keywords('Housing, "fair trade, Kenya", agtaş ,, ')
    assert rule.terms == (
        SearchQuery(words=("housing",)),
        SearchQuery(phrases=(("fair", "trade", "kenya"),)),
        SearchQuery(words=("agtas",)),
    )
    assert rule.text == 'housing, "fair trade kenya", agtas'


def test_a_rule_from_stored_pieces_reads_the_same():
    assert parse_keywords(["housing", '"fair trade"']) == parse_keywords('housing, "fair trade"')
    assert not parse_keywords(["", " , ", '""'])


def test_case_accents_whole_words_and_plurals_like_search():
    item = ItemWords("Agtaş Économie sociale: Cooperatives in housing", "")
    assert item.matches_any(parse_keywords("AGTAS"))
    assert item.matches_any(parse_keywords("economie"))
    assert item.matches_any(parse_keywords("cooperative"))  # singular finds plural
    assert ItemWords("A cooperative bank").matches_any(parse_keywords("cooperatives"))
    assert not item.matches_any(parse_keywords("house"))  # whole words only
    assert not item.matches_any(parse_keywords("coop"))  # not a prefix
    assert not ItemWords("ILOs").matches_any(parse_keywords("ilo"))  # short words exact


def test_a_term_needs_all_its_words_and_a_phrase_its_order():
    item = ItemWords("Fair prices for trade unions", "")
    assert item.matches_any(parse_keywords("fair trade"))
    assert not item.matches_any(parse_keywords('"fair trade"'))
    assert ItemWords("New fair trade rules").matches_any(parse_keywords('"fair trade"'))


def test_a_phrase_never_spans_title_and_summary():
    item = ItemWords("News about fair", "trade in Kenya")
    assert not item.matches_any(parse_keywords('"fair trade"'))
    assert item.matches_any(parse_keywords("fair trade"))


def test_an_empty_rule_matches_nothing():
    assert not ItemWords("anything").matches_any(Keywords())


def test_terms_are_capped():
    rule = parse_keywords(", ".join(f"word{i}" for i in range(100)))
    assert len(rule.terms) == MAX_TERMS


def test_hostile_text_is_just_words_and_stays_linear():
    # Catastrophic-backtracking shapes for a regex engine are plain words here.
    rule = parse_keywords("(a+)+$, .*.*.*=, " + "a" * 500)
    item = ItemWords("a" * 100_000 + "!", "a " * 50_000)
    started = time.perf_counter()
    item.matches_any(rule)
    assert time.perf_counter() - started < 1.0


def test_fold_drops_accents_and_case():
    assert fold("Agtaş ÉCONOMIE Straße") == "agtas economie strasse"


@given(st.text(max_size=200), st.text(max_size=200))
def test_any_text_never_fails(rule_text, item_text):
    rule = parse_keywords(rule_text)
    ItemWords(item_text, rule_text).matches_any(rule)
    assert parse_keywords(rule.text) == rule
