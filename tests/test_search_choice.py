"""The choice of a search plan, as pure functions of its inputs: the engine, the query,
the planner statistics' guesses and the tuning (storage/search.py plan_groups,
storage/search_tsvector.py choose_read). What each plan answers is pinned by
tests/test_search_answers.py; here, which one is picked, with no database."""

from __future__ import annotations

import pytest

from storage import search
from storage.search import fts5_expression, parse_query, plan_groups, tsquery_text
from storage.search_tsvector import (
    SORT,
    Guess,
    Read,
    Tuning,
    choose_counted,
    choose_read,
    sieve_terms,
)

TUNING = Tuning(
    dense_matches=2000, walk_slack=4, walk_min=100, sieve_matches=300, sieve_visible=0.5
)
ROWS = 1_000_000.0


def test_sqlite_reads_titles_from_the_title_table_and_the_rest_from_items_fts():
    query = parse_query('coop "fair trade"')
    title, rest = plan_groups("sqlite", query, None, TUNING)
    expression = fts5_expression(query)
    assert (title.fts.name, title.condition) == ("items_title_fts", expression)
    assert rest.fts.name == "items_fts"
    assert rest.condition == f"({expression}) NOT (title : ({expression}))"


def test_postgres_groups_carry_the_query_and_each_groups_guess():
    query = parse_query("coop housing")
    guesses = (Guess(0.01, ROWS), Guess(0.2, ROWS))
    title, rest = plan_groups("postgresql", query, guesses, TUNING)
    assert (title.name, rest.name) == ("title", "rest")
    assert title.tsquery == rest.tsquery == tsquery_text(query)
    assert (title.guess, rest.guess) == guesses
    assert title.tuning == rest.tuning == TUNING
    assert title.terms == rest.terms == sieve_terms(query)
    unanalyzed = plan_groups("postgresql", query, None, TUNING)
    assert [group.guess for group in unanalyzed] == [None, None]


def test_another_database_is_refused():
    with pytest.raises(RuntimeError, match="unsupported database: mysql"):
        plan_groups("mysql", parse_query("coop"), None, TUNING)


@pytest.mark.parametrize(
    ("guess", "skip", "take", "read"),
    [
        # Fewer matches expected than the threshold: sorted.
        (Guess(0.001, ROWS), 0, 11, SORT),
        (Guess(0.00199, ROWS), 0, 11, SORT),
        # At the threshold and above: a walk bounded at slack times the rows the
        # expected density needs for the page, plus the minimum.
        (Guess(0.002, ROWS), 0, 11, Read("walk", int(11 / 0.002 * 4) + 100)),
        (Guess(0.01, ROWS), 0, 11, Read("walk", 4500)),
        (Guess(0.01, ROWS), 990, 11, Read("walk", 400_500)),
        # A bound reaching the last row: the walk goes to the end, never gives up.
        (Guess(0.01, ROWS), 2490, 11, Read("walk")),
        # A tiny table: a single expected match is below the threshold.
        (Guess(0.0, ROWS), 0, 11, SORT),
    ],
)
def test_a_guess_picks_sort_or_bounded_walk(guess, skip, take, read):
    assert choose_read(guess, TUNING, skip, take) == read


@pytest.mark.parametrize(
    ("guess", "skip", "read"),
    [
        # A few hundred title matches expected or more: sieved, bounded as a walk.
        (Guess(0.001, ROWS), 0, Read("sieve", int(11 / 0.001 * 4) + 100)),
        (Guess(0.0003, ROWS), 0, Read("sieve", int(11 / 0.0003 * 4) + 100)),
        (Guess(0.05, ROWS), 0, Read("sieve", 980)),
        # Fewer: sorted.
        (Guess(0.00029, ROWS), 0, SORT),
        # A bound past the table: what a group that cannot be sieved would read.
        (Guess(0.001, ROWS), 300_000, SORT),
        (Guess(0.05, ROWS), 20_000, Read("walk")),
        # Most pages not all-visible (a VACUUM is due): the index alone cannot sieve.
        (Guess(0.001, ROWS, visible=0.3), 0, SORT),
        (Guess(0.05, ROWS, visible=0.3), 0, Read("walk", 980)),
    ],
)
def test_a_title_guess_picks_the_sieve(guess, skip, read):
    assert choose_read(guess, TUNING, skip, 11, sieve=True) == read


def test_the_rest_is_never_sieved():
    assert choose_read(Guess(0.001, ROWS), TUNING, 0, 11) == SORT
    assert choose_read(Guess(0.05, ROWS), TUNING, 0, 11) == Read("walk", 980)


def test_sieve_terms_are_each_words_forms_then_each_phrase_word():
    query = parse_query('coop "fair trade" the')
    assert sieve_terms(query) == {
        "term0": "coop coops",
        "term1": "the",
        "term2": "fair",
        "term3": "trade",
    }
    assert sieve_terms(parse_query("kenya")) == {
        "term0": "kenya kenyas",
        "term1": None,
        "term2": None,
        "term3": None,
    }
    # More words than the sieve checks: the first ones (the rest are matched after).
    assert list(sieve_terms(parse_query("a b c d e f")).values()) == ["a", "b", "c", "d"]


def test_a_zero_share_at_a_threshold_of_one_walks_unbounded():
    # Only reachable with a threshold of 1 (the answers tests force it): no bound to compute.
    assert choose_read(Guess(0.0, ROWS), Tuning(1, 4, 100, 300, 0.5), 0, 11) == Read("walk")


def test_without_statistics_a_capped_count_decides():
    first = choose_read(None, TUNING, 0, 11)
    assert first == Read("count", 2000)
    assert choose_counted(1999, TUNING) == SORT
    assert choose_counted(2000, TUNING) == Read("walk")


def stats(title: dict[str, float], document: dict[str, float], known: bool = True):
    return search._LexemeStats(ROWS, title, document, known)


def test_guesses_add_a_words_forms_and_multiply_words():
    lexemes = stats(
        {"coop": 0.1, "coops": 0.05, "housing": 0.2},
        {"coop": 0.3, "coops": 0.1, "housing": 0.5},
    )
    title, rest = search._guesses(parse_query("coop housing"), lexemes)
    assert title.share == pytest.approx(0.15 * 0.2)
    # The rest: matches anywhere minus the title's.
    assert rest.share == pytest.approx(0.4 * 0.5 - 0.15 * 0.2)
    assert title.rows == rest.rows == ROWS
    assert title.visible == rest.visible == 1.0


def test_guesses_of_unlisted_words_phrases_and_a_larger_title_share():
    lexemes = stats({"fair": 0.5, "trade": 0.4}, {"fair": 0.2, "trade": 0.4})
    # A phrase's words multiply; a lexeme ANALYZE did not list counts as 0.
    title, rest = search._guesses(parse_query('"fair trade"'), lexemes)
    assert title.share == pytest.approx(0.2) and rest.share == 0.0  # never below 0
    title, rest = search._guesses(parse_query("fair zzqx"), lexemes)
    assert title.share == rest.share == 0.0


def test_no_guesses_from_a_table_never_analyzed():
    assert search._guesses(parse_query("coop"), stats({}, {}, known=False)) is None
