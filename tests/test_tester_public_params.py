"""/news's own parameters are outside text too: what a link puts in `q` or `category`
is shown in the page (its heading, the search field, the paging links), so it obeys
the one rule for outside text (domain.text.remove_control_characters): no bidi
controls (a crafted link could reverse the heading a reader sees), no C0 controls
(NUL, which PostgreSQL refuses in text), and the page still answers."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

from tests.public_helpers import add

HOSTILE = "\u202e\u2066Housing\u2069\u202c\x00\x01"
# U+202A–U+202E and U+2066–U+2069 (domain.text.BIDI_CONTROLS).
BIDI = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]


@pytest.mark.parametrize("name", ["q", "category"])
def test_news_parameters_lose_control_characters(site, db, name):
    add(db, "Housing cooperatives grow", category="Housing")
    response = requests.get(f"{site}/news?{name}={quote(HOSTILE)}", timeout=10)
    assert response.status_code == 200
    shown = response.text
    assert not [c for c in BIDI if c in shown]
    assert "\x00" not in shown and "\x01" not in shown
    # The parameter is still read: the item is found (search) or listed (category).
    assert "Housing cooperatives grow" in shown


@pytest.mark.parametrize("path", ["/feed.atom", "/feed.json"])
def test_a_feed_category_loses_control_characters(site, db, path):
    add(db, "Housing cooperatives grow", category="Housing")
    add(db, "Bakery opens", category="Food")
    response = requests.get(f"{site}{path}?category={quote(HOSTILE)}", timeout=10)
    assert response.status_code == 200
    shown = response.content.decode()
    assert not [c for c in BIDI if c in shown]
    assert "Housing cooperatives grow" in shown and "Bakery opens" not in shown
