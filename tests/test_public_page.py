"""/news over the running web process: its HTML, and the page as headless chromium renders it.

Screenshots at 375 and 1280 px wide go to tests/output/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import pytest
import requests
from bs4 import BeautifulSoup

from storage import sources as source_store
from storage.types import utcnow
from tests import browser
from tests.public_helpers import HOSTILE_SUMMARY, HOSTILE_TITLE, HOSTILE_TITLE_SHOWN, add


def page(site: str, query: str = "") -> BeautifulSoup:
    response = requests.get(f"{site}/news{query}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    return BeautifulSoup(response.text, "html.parser")


def titles(soup: BeautifulSoup) -> list[str]:
    return [h.get_text(strip=True) for h in soup.select("main article h3")]


def heading_levels(soup: BeautifulSoup) -> list[int]:
    return [int(h.name[1]) for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]


def assert_semantic(soup: BeautifulSoup) -> None:
    assert soup.html["lang"] == "en"
    assert soup.find("meta", attrs={"name": "viewport"})["content"].startswith("width=device-width")
    for landmark in ("header", "nav", "main", "footer"):
        assert soup.find(landmark) is not None, landmark
    levels = heading_levels(soup)
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    search = soup.find("form", attrs={"role": "search"})
    field = search.find("input", attrs={"name": "q"})
    assert search.find("label", attrs={"for": field["id"]}).get_text(strip=True)
    assert soup.find("script") is None


@pytest.fixture
def stocked(site, db):
    """25 items over two categories, one hostile, one from a followed source."""
    with db.transaction() as session:
        source = source_store.create_source(
            session, url="https://federation.example/feed", now=utcnow(), title="Federation Feed"
        )
        source_id = source.id
    for i in range(23):
        add(db, f"Worker cooperative story {i}", days=i, category="News" if i % 2 else "Article")
    add(db, HOSTILE_TITLE, days=30, url="javascript:alert(1)", summary=HOSTILE_SUMMARY)
    sourced = add(db, "Housing cooperatives grow", days=31, url="https://federation.example/1")
    with db.transaction() as session:
        from storage.models import Item

        session.get(Item, sourced).source_id = source_id
    return site


def test_news_page_lists_items_with_date_source_and_paging(stocked):
    soup = page(stocked)
    assert_semantic(soup)
    assert titles(soup)[:2] == ["Housing cooperatives grow", HOSTILE_TITLE_SHOWN]
    assert len(titles(soup)) == 20
    first = soup.select_one("main article")
    assert first.find("time")["datetime"] == "2026-07-02"
    assert "Federation Feed" in first.select_one(".meta").get_text()
    # The hostile item: its text shown as written, no element made from it, no javascript: link.
    hostile = soup.select("main article")[1]
    assert hostile.find("a") is None and hostile.find("img") is None
    assert "javascript" not in str(soup)
    older = soup.find("a", attrs={"rel": "next"})
    second = page(stocked, "?" + older["href"].split("?", 1)[1])
    assert titles(second) == [f"Worker cooperative story {i}" for i in range(4, -1, -1)]
    assert second.find("a", attrs={"rel": "prev"})["href"] == "/news"
    assert second.find("a", attrs={"rel": "next"}) is None


def test_category_links_and_search_use_the_slack_search(stocked):
    soup = page(stocked)
    links = {a.get_text(strip=True): a["href"] for a in soup.select("nav.categories a")}
    assert links == {
        "All news": "/news",
        "Article": "/news?category=Article",
        "News": "/news?category=News",
    }
    news = page(stocked, "?category=NEWS")
    assert all(int(t.rsplit(" ", 1)[1]) % 2 for t in titles(news))
    assert news.select_one('nav.categories a[aria-current="page"]').get_text() == "News"
    # Plural and case folding as in Slack: "COOPERATIVE" finds "cooperatives" too.
    found = page(stocked, "?q=COOPERATIVE%20housing")
    assert titles(found) == ["Housing cooperatives grow"]
    assert found.find("input", attrs={"name": "q"})["value"] == "COOPERATIVE housing"
    nothing = page(stocked, '?q="no such words"')
    assert titles(nothing) == [] and "Nothing matches" in nothing.main.get_text()
    hostile_query = page(stocked, "?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert hostile_query.find("script") is None
    assert "<script>alert(1)</script>" in hostile_query.find("h2", id="news-heading").get_text()


@pytest.mark.skipif(browser.chromium() is None, reason=browser.SKIP_REASON)
def test_news_page_in_headless_chromium(stocked):
    for query, expected_first in (
        ("", "Housing cooperatives grow"),
        ("?q=worker%20story%2022", "Worker cooperative story 22"),
    ):
        dom = BeautifulSoup(browser.dump_dom(f"{stocked}/news{query}"), "html.parser")
        assert_semantic(dom)
        assert titles(dom)[0] == expected_first
        if not query:
            assert titles(dom)[1] == HOSTILE_TITLE_SHOWN
            assert len(titles(dom)) == 20
    for width in (375, 1280):
        for name, query in (("news", ""), ("search", "?q=cooperative")):
            path = browser.OUTPUT_DIR / f"{name}-{width}.png"
            path.unlink(missing_ok=True)
            browser.screenshot(f"{stocked}/news{query}", path, width, 1600)
            assert browser.png_size(path) == (width, 1600)
            assert path.stat().st_size > 10_000  # a rendered page, not a blank one


def test_too_many_query_fields_is_a_400_not_a_500(site, db):
    # Crawlers and link rewriters append parameters; more than the page reads is bad input.
    add(db, "Still served")
    crowded = "&".join(f"utm_{i}=x" for i in range(40))
    for path in ("/news", "/feed.atom", "/feed.json"):
        response = requests.get(f"{site}{path}?{crowded}", timeout=10)
        assert response.status_code == 400, path
        assert "too many query parameters" in response.text
    assert requests.get(f"{site}/news?utm_source=x&q=served", timeout=10).status_code == 200


def test_an_item_dated_ahead_is_not_public_before_its_time(site, db):
    # As in the feeds: an admin may date an item ahead (an embargo); it appears when its
    # time comes, on the page as in /feed.atom, and not before, listed or searched.
    add(db, "Embargoed cooperative merger", days=3650)
    add(db, "Published cooperative story", days=1)
    for query in ("", "?q=cooperative", "?q=embargoed"):
        assert "Embargoed" not in page(site, query).get_text(), query
    assert titles(page(site, "?q=cooperative")) == ["Published cooperative story"]
    assert titles(page(site)) == ["Published cooperative story"]
    assert "Embargoed" not in requests.get(f"{site}/feed.atom", timeout=10).text
