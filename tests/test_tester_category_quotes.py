"""`/coopnews latest [N] CATEGORY` with a category whose name holds apostrophes, double
quotes or a backslash (as feeds name them: "Workers' and Members' Rights"): typed as
the category is spelled, it lists that category. Signed requests in process (`bolt`)."""

from __future__ import annotations

import pytest

from tests.test_http_latest import make_items, titles_in

NAMES = [
    "Workers' and Members' Rights",
    'The "Fair" Trade Desk',
    "Food\\Farming",
    "Members' news",
]


@pytest.mark.parametrize("name", NAMES)
def test_latest_finds_a_category_named_with_quotes(bolt, db, name):
    make_items(db, [("In it", 1, name, None, None), ("Other", 2, "News", None, None)])
    assert titles_in(bolt.command(f"latest 3 {name}").json()) == ["In it"]
    assert titles_in(bolt.command(f"latest {name}").json()) == ["In it"]
    assert titles_in(bolt.command(f"latest {name} 2").json()) == ["In it"]


@pytest.mark.parametrize(
    "typed", ['latest 2 "coop champions"', "latest \u201ccoop champions\u201d 2", "latest 'News' 1"]
)
def test_a_category_quoted_as_a_whole_is_still_read_without_its_quotes(bolt, db, typed):
    make_items(db, [("Champ", 1, "COOP Champions", None, None), ("Item", 2, "News", None, None)])
    expected = ["Item"] if "News" in typed else ["Champ"]
    assert titles_in(bolt.command(typed).json()) == expected
