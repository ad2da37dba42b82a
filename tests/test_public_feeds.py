"""/feed.atom and /feed.json over the running web process (gunicorn from the Procfile)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import feedparser
import requests
from sqlalchemy import event

from bot.public.site import PublicSite
from storage import curation
from storage.models import Item
from storage.types import utcnow
from tests.conftest import PUBLIC_WEB_URL as PUBLIC_URL
from tests.public_helpers import (
    HOSTILE_SUMMARY,
    HOSTILE_SUMMARY_SHOWN,
    HOSTILE_TITLE,
    HOSTILE_TITLE_SHOWN,
    add,
)


def get(site: str, path: str, **headers: str) -> requests.Response:
    return requests.get(site + path, headers=headers, timeout=10)


def test_public_paths_are_404_unless_enabled(web_process, db):
    add(db, "Visible only when public")
    for path in ("/feed.atom", "/feed.json", "/news", "/news?q=visible"):
        response = requests.get(web_process.url + path, timeout=10)
        assert response.status_code == 404, path
        assert "Visible only" not in response.text
    assert requests.get(web_process.url + "/healthz", timeout=10).json()["ok"] is True


def test_healthz_and_slack_events_unaffected_when_public(site):
    assert get(site, "/healthz").json() == {"ok": True, "database": "up"}
    # An unsigned Slack request is still refused.
    response = requests.post(site + "/slack/events", data={"command": "/coopnews"}, timeout=10)
    assert response.status_code == 401


def test_atom_feed_reads_back_with_hostile_text_inert(site, db):
    hostile = add(
        db,
        HOSTILE_TITLE,
        days=2,
        category="News <b>",
        url="https://coop.example/a?x=1&y=2",
        summary=HOSTILE_SUMMARY,
    )
    older = add(db, "An older story", days=1, url="javascript:alert(1)")
    response = get(site, "/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    assert b"<script>" not in response.content and b"<img" not in response.content
    ElementTree.fromstring(response.content)  # well-formed XML, control characters gone

    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert [e.id for e in parsed.entries] == [
        f"tag:news.example.org,2026:coopnews/item/{hostile}",
        f"tag:news.example.org,2026:coopnews/item/{older}",
    ]
    first = parsed.entries[0]
    assert first.title == HOSTILE_TITLE_SHOWN
    assert first.title_detail.type == "text/plain"
    assert first.summary == HOSTILE_SUMMARY_SHOWN
    assert first.link == "https://coop.example/a?x=1&y=2"
    assert [t.term for t in first.tags] == ["News <b>"]
    assert first.published_parsed[:3] == (2026, 6, 3)
    # A javascript: link is never offered; the entry carries its text instead.
    assert "javascript" not in response.text
    assert parsed.entries[1].content[0].value == "An older story"


def test_json_feed_has_the_required_fields_and_types(site, db):
    add(db, HOSTILE_TITLE, days=3, category="News", url="https://coop.example/j")
    add(db, "No link, no summary", days=2, summary=HOSTILE_SUMMARY)
    response = get(site, "/feed.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/feed+json")
    document = json.loads(response.content)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str) and document["title"]
    assert document["feed_url"] == f"{PUBLIC_URL}/feed.json"
    assert document["home_page_url"] == f"{PUBLIC_URL}/news"
    assert isinstance(document["items"], list) and len(document["items"]) == 2
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"].startswith("tag:")
        # 1.1: every item has content_html or content_text; we only ever send text.
        assert isinstance(item["content_text"], str) and "content_html" not in item
        for key in ("date_published", "date_modified"):
            datetime.fromisoformat(item[key].replace("Z", "+00:00"))
    first, second = document["items"]
    assert first["title"] == HOSTILE_TITLE_SHOWN
    assert first["url"] == "https://coop.example/j" and first["tags"] == ["News"]
    assert "url" not in second and second["summary"] == HOSTILE_SUMMARY_SHOWN
    assert "\x1b" not in response.text and "\\u001b" not in response.text


def test_fifty_newest_published_newest_first_without_future_or_retracted(site, db):
    ids = [add(db, f"Story {i}", days=i) for i in range(60)]
    future_id = add(db, "Dated tomorrow", days=0)
    with db.transaction() as session:
        future = session.get(Item, future_id)
        future.published_at = utcnow() + timedelta(days=1)
        retracted = session.get(Item, ids[-1])
        curation.retract_item(session, retracted, "UADMIN")
    for path in ("/feed.atom", "/feed.json"):
        body = get(site, path).content
        titles = (
            [e.title for e in feedparser.parse(body).entries]
            if path.endswith("atom")
            else [i["title"] for i in json.loads(body)["items"]]
        )
        assert titles == [f"Story {i}" for i in range(58, 8, -1)], path


def test_conditional_get_answers_304_until_something_changes(site, db):
    add(db, "First", days=1)
    first = get(site, "/feed.atom")
    assert first.headers["Cache-Control"] == "public, max-age=300"
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = get(site, "/feed.atom", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    assert get(site, "/feed.atom", **{"If-Modified-Since": modified}).status_code == 304
    # Each format and category is its own representation.
    assert get(site, "/feed.json", **{"If-None-Match": etag}).status_code == 200
    assert get(site, "/feed.atom?category=x", **{"If-None-Match": etag}).status_code == 200

    add(db, "Second", days=2)
    changed = get(site, "/feed.atom", **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert [e.title for e in feedparser.parse(changed.content).entries] == ["Second", "First"]


def test_category_filter_in_any_case(site, db):
    add(db, "Champion one", days=1, category="COOP Champions")
    add(db, "Plain news", days=2, category="News")
    add(db, "Champion two", days=3, category="coop champions")
    atom = feedparser.parse(get(site, "/feed.atom?category=Coop%20CHAMPIONS").content)
    assert [e.title for e in atom.entries] == ["Champion two", "Champion one"]
    assert atom.feed.id.endswith("/category/coop%20champions")
    document = get(site, "/feed.json?category=news").json()
    assert [i["title"] for i in document["items"]] == ["Plain news"]
    assert document["title"] == "coopnews: News"  # as the items spell it
    assert get(site, "/feed.json?category=nothing").json()["items"] == []


def test_corrections_update_entries_and_retractions_remove_them(site, db):
    kept = add(db, "Typo in titel", days=1, url="https://coop.example/k")
    gone = add(db, "Wrong story", days=2)
    before = get(site, "/feed.atom")
    entry = feedparser.parse(before.content).entries[1]
    assert entry.updated == entry.published  # never corrected: updated is its date
    with db.transaction() as session:
        item = session.get(Item, kept)
        fields = curation.ItemFields(
            "Typo in title", item.url, item.category, item.published_at.date(), "Fixed."
        )
        assert curation.update_item(session, item, fields, "UADMIN") == ["title", "summary"]
        curation.retract_item(session, session.get(Item, gone), "UADMIN")
    after = get(site, "/feed.atom", **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    entries = feedparser.parse(after.content).entries
    assert [e.id for e in entries] == [f"tag:news.example.org,2026:coopnews/item/{kept}"]
    corrected = entries[0]
    assert corrected.title == "Typo in title" and corrected.summary == "Fixed."
    updated = datetime(*corrected.updated_parsed[:6], tzinfo=UTC)
    assert updated > datetime(*corrected.published_parsed[:6], tzinfo=UTC)
    assert abs(updated - utcnow()) < timedelta(minutes=5)
    json_items = get(site, "/feed.json").json()["items"]
    assert [i["title"] for i in json_items] == ["Typo in title"]
    assert json_items[0]["date_modified"] > json_items[0]["date_published"]


def test_an_unchanged_feed_costs_one_indexed_query(db):
    """In process: a 304 (or a repeat of an unchanged feed) runs exactly one SQL statement,
    and it reads indexes, not the table."""
    for i in range(30):
        add(db, f"Item {i}", days=i, category="News")
    site = PublicSite(db, PUBLIC_URL)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/feed.atom", "QUERY_STRING": ""}
    headers: dict = {}

    def start_response(status, response_headers):
        headers.update(response_headers, status=status)

    b"".join(site(dict(environ), start_response))
    etag = headers["ETag"]
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for query in ("", "category=news"):
            headers.clear()
            statements.clear()
            conditional = dict(environ, QUERY_STRING=query, HTTP_IF_NONE_MATCH=etag)
            if query:  # another representation: fetch its tag first
                b"".join(site(dict(environ, QUERY_STRING=query), start_response))
                conditional["HTTP_IF_NONE_MATCH"] = headers["ETag"]
                statements.clear()
            assert b"".join(site(conditional, start_response)) == b""
            assert headers["status"].startswith("304")
            assert len(statements) == 1, statements
            # Without validators too: the body of an unchanged feed is kept per process.
            statements.clear()
            plain = b"".join(site(dict(environ, QUERY_STRING=query), start_response))
            assert headers["status"].startswith("200") and b"<entry>" in plain
            assert len(statements) == 1, statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statements[0],
                tuple(p for p in [utcnow().isoformat(" ")] * statements[0].count("?")),
            ).all()
        details = " | ".join(row[-1] for row in plan)
        assert "ix_items_updated" in details and "ix_items_published" in details, details
        assert "SCAN items" not in details.replace("SCAN items USING", ""), details


def test_other_methods_are_refused(site):
    response = requests.post(site + "/feed.atom", timeout=10)
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"
    head = requests.head(site + "/feed.json", timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) > 0
