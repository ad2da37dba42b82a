"""Typed words with compatibility characters (superscripts and subscripts, vulgar
fractions, circled, parenthesised and full-width digits and letters, ligatures, number
forms) search the same on SQLite and PostgreSQL: domain.words.fold_compatibility folds
them before either database sees the words ("CO₂" is "co2", "ｃｏｏｐ" "coop"), where
FTS5's unicode61 kept them as they are and PostgreSQL's parser dropped some ("coop²"
found "coop" items on PostgreSQL, nothing on SQLite). Signed `/coopnews search`
requests (`bolt`); the file runs on both databases. Follow rules read items the same way."""

from __future__ import annotations

import pytest

from domain.words import ItemWords, fold_compatibility, parse_keywords, parse_query
from tests.test_http_latest import make_items, titles_in

ITEMS = [
    ("Coop federation grows", 1),
    ("CO2 emissions cut by a cooperative", 2),
    ("Finance for cooperatives", 3),
    ("Plan 12 adopted", 4),
    ("Chapter XII of the coop law", 5),
    ("Coop2 platform launched", 6),
]

SEARCHES = [
    ("coop²", ["Coop2 platform launched"]),  # the superscript is a digit, as NFKC reads it
    ("CO₂ cooperative", ["CO2 emissions cut by a cooperative"]),  # subscript
    ("co² emissions", ["CO2 emissions cut by a cooperative"]),
    ("ｃｏｏｐ ｆｅｄｅｒａｔｉｏｎ", ["Coop federation grows"]),  # full-width letters
    ('"ｃｏｏｐ federation"', ["Coop federation grows"]),
    ("ﬁnance", ["Finance for cooperatives"]),  # ligature
    ("plan ⑫", ["Plan 12 adopted"]),  # circled number
    ("plan １２", ["Plan 12 adopted"]),  # full-width digits
    ("plan ⒓", ["Plan 12 adopted"]),  # number with full stop
    ("plan ⑿", ["Plan 12 adopted"]),  # parenthesised number
    ("Ⅻ coop", ["Chapter XII of the coop law"]),  # roman numeral
    ("coop❶ federation", ["Coop federation grows"]),  # dingbat digit: no digit at all
    ("plan 𝟏𝟐", ["Plan 12 adopted"]),  # mathematical bold digits
    ("plan ½", []),  # "1⁄2": the words "1" and "2", in no item
]


@pytest.mark.parametrize(("typed", "expected"), SEARCHES)
def test_a_typed_compatibility_character_searches_alike_on_both_databases(
    bolt, db, typed, expected
):
    make_items(db, [(title, days, None, None, None) for title, days in ITEMS])
    body = bolt.command(f"search {typed}").json()
    assert titles_in(body) == expected, (typed, body["text"])


def test_the_fold_keeps_other_text_as_it_is():
    for text in ("Agtaş Économie", "µ-finance", "Ωmega", "ｶﾀｶﾅ", "coop's"):
        assert fold_compatibility(text) == text.replace("ｶﾀｶﾅ", "カタカナ")
    assert parse_query("CO₂ ｃｏｏｐ").words == ("co2", "coop")


def test_follow_rules_read_items_as_searches_do():
    rule = parse_keywords("CO₂, ﬁnance")
    assert ItemWords("CO2 emissions").matches_any(rule)
    assert ItemWords("Ｆｉｎａｎｃｅ news").matches_any(rule)
    assert ItemWords("CO₂ emissions").matches_any(parse_keywords("co2"))
    assert not ItemWords("Coop❶ federation").matches_any(parse_keywords("coop❶x"))
