"""A category name longer than a stored name (storage.limits.CATEGORY) is one category
typed in full, as a feed or listing spells it, or as it is stored (cut). Signed requests to the app in process (`bolt`)."""

from __future__ import annotations

from domain.text import fit
from storage import limits
from tests.test_http_latest import make_items, titles_in

LONG = " ".join(f"Cooperative housing section {i}" for i in range(12))  # 370 characters


def test_a_category_longer_than_the_stored_name_is_found_as_typed_in_full(bolt, db):
    assert len(LONG) > limits.CATEGORY
    make_items(db, [("Long one", 1, LONG, None, None), ("Other", 2, "News", None, None)])
    assert titles_in(bolt.command(f"latest 3 {LONG}").json()) == ["Long one"]
    assert titles_in(bolt.command(f"latest 3 {LONG.upper()}").json()) == ["Long one"]


def test_the_name_as_stored_still_finds_it(bolt, db):
    make_items(db, [("Long one", 1, LONG, None, None), ("Other", 2, "News", None, None)])
    stored = fit(LONG, limits.CATEGORY)  # as storage.store.item_row stores it
    assert titles_in(bolt.command(f"latest 3 {stored}").json()) == ["Long one"]
