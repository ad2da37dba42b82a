"""The title sieve (PostgreSQL, migration 0022): a walk of the date index that skips the
rows whose title signature misses a word of the query gives the answers of the rules
(tests/test_search_answers.py's reference) on every page, from any offset, whether it
fills its page or gives up and sorts; and it is the read the statistics pick for a
title group of a few hundred matches or more."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from domain.words import folded_words
from storage import search
from tests.test_search_answers import (  # noqa: F401 (archive: a fixture)
    QUERIES,
    VOCABULARY,
    archive,
    expected_pages,
    pages,
    reference,
)

# Beyond QUERIES: more words than the sieve checks (SIEVE_TERMS), a phrase with a word,
# accents, and a word whose forms fold to nothing the index holds.
MORE = [
    "coop union housing credit energy",
    '"credit union" coop',
    "économie AGTAŞ",
    "kenya trade fair coops the",
]


@pytest.fixture(autouse=True)
def postgres_only(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the sieve is PostgreSQL's (SQLite reads FTS5 tables)")


def sieve_always(monkeypatch, slack: float, share: float = 0.5) -> list[str]:
    """Statistics claiming every word is common, a sieve for every title group; the
    statements run are collected in the list returned."""
    common = {form: share for word in VOCABULARY for form in folded_words(word)}
    stats = search._LexemeStats(1_000_000.0, common, {k: min(1.0, 2 * share) for k in common})
    monkeypatch.setattr(search, "_lexeme_stats", lambda session: stats)
    monkeypatch.setattr(search, "SIEVE_MATCHES", 1)
    monkeypatch.setattr(search, "WALK_SLACK", slack)
    monkeypatch.setattr(search, "WALK_MIN", 0)
    return []


def listen(db, statements: list[str]) -> None:
    def grab(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", grab)


@pytest.mark.parametrize("slack", [3, 0.5], ids=["fills-its-page", "gives-up-and-sorts"])
@pytest.mark.parametrize("size", [3, 10])
def test_sieved_pages_match_the_rules(archive, monkeypatch, slack, size):  # noqa: F811
    db, items = archive
    statements = sieve_always(monkeypatch, slack)
    listen(db, statements)
    for query in QUERIES + MORE:
        assert pages(db, query, size) == expected_pages(reference(items, query), size), query
    assert any("coopnews_bits_meet" in s for s in statements)


def test_sieved_pages_from_any_offset_match_the_rules(archive, monkeypatch):  # noqa: F811
    db, items = archive
    sieve_always(monkeypatch, 3)
    for query in ("union", "coop", '"credit union"', MORE[0]):
        ids = reference(items, query)
        for offset in (0, 3, 9, len(ids) // 2, len(ids) - 1, len(ids), len(ids) + 5):
            with db.reading() as session:
                page = search.search(session, search.parse_query(query), 10, offset)
            assert [i.id for i in page.items] == ids[offset : offset + 10], (query, offset)
            assert page.has_more == (offset + 10 < len(ids)), (query, offset)


def test_the_statistics_pick_the_sieve_for_a_middle_title_group(archive, monkeypatch):  # noqa: F811
    db, items = archive
    # 0.05% of a million rows: 500 title matches expected, below the walk's threshold.
    common = {form: 0.0005 for word in VOCABULARY for form in folded_words(word)}
    stats = search._LexemeStats(1_000_000.0, common, {k: 0.01 for k in common})
    monkeypatch.setattr(search, "_lexeme_stats", lambda session: stats)
    statements: list[str] = []
    listen(db, statements)
    assert pages(db, "union", 10) == expected_pages(reference(items, "union"), 10)
    assert "coopnews_bits_meet" in statements[0]


def test_term_bits_of_forms_without_a_lexeme_constrain_nothing(db):
    with db.reading() as session:
        bits = session.scalar(text("SELECT coopnews_term_bits(:t)::text"), {"t": "'' -"})
        none = session.scalar(text("SELECT coopnews_term_bits(NULL)::text"))
        word = session.scalar(text("SELECT coopnews_term_bits('coop coops')::text"))
    assert bits == none == "1" * 256
    assert word.count("1") in (1, 2)  # one bit per lexeme (two may share one)


def test_each_read_of_a_group_has_its_own_statement(archive, monkeypatch):  # noqa: F811
    # Statements are built once per read and group: a bounded walk built first must not
    # stand in for the unbounded walk after it (nor the other way round).
    from storage import search_pages

    db, items = archive
    monkeypatch.setattr(search_pages, "_BUILT", {})
    monkeypatch.setattr(search, "SIEVE_MATCHES", 10**9)  # walks, no sieve
    monkeypatch.setattr(search, "DENSE_MATCHES", 1)
    monkeypatch.setattr(search, "WALK_MIN", 0)
    want = expected_pages(reference(items, "union"), 10)
    for rows, slack in ((1_000_000.0, 3), (150.0, 3), (1_000_000.0, 3)):
        common = {form: 0.5 for word in VOCABULARY for form in folded_words(word)}
        stats = search._LexemeStats(rows, common, {k: 0.9 for k in common})
        monkeypatch.setattr(search, "_lexeme_stats", lambda session, stats=stats: stats)
        monkeypatch.setattr(search, "WALK_SLACK", slack)
        assert pages(db, "union", 10) == want, rows
    shapes = {key[0] for key in search_pages._BUILT}
    assert {("window", "title"), ("walk", "title")} <= shapes
