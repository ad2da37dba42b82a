"""`/coopnews sources ...`: signed requests to the app in process (`bolt`); adding a feed
once end to end through the Procfile's web process (`slack_private_sources`)."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.admins import REFUSAL
from storage import sources as source_store
from storage.models import Item
from tests import feed_samples as samples


def text_of(body: dict) -> str:
    return "\n".join(
        b["text"]["text"] if "text" in b else b["elements"][0]["text"]
        for b in body.get("blocks", [])
        if b["type"] in ("section", "context")
    )


def sources_in_db(db):
    with db.reading() as session:
        return source_store.list_sources(session)


def followup(fake, count: int = 1) -> list[dict]:
    return [c.params for c in fake.wait_for("response_url", count, timeout=20)]


def test_admin_adds_a_feed_acked_fast_then_told_the_result(
    slack_private_sources, fake, db, feed_server
):
    feed_server.serve("/feed.xml", samples.simple_rss(3))
    url = feed_server.url("/feed.xml")
    started = time.monotonic()
    response = slack_private_sources.command(f"sources add {url} Worker Co-ops", user_id="UADMIN")
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and elapsed < 3
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "Reading" in body["text"]
    (answer,) = followup(fake)
    assert answer["response_type"] == "ephemeral"
    assert "Now following" in answer["text"] and "3 items stored" in answer["text"]
    assert "not announced" in answer["text"]
    (row,) = sources_in_db(db)
    assert row.source.url == url
    assert row.source.category == "Worker Co-ops"
    assert row.source.created_by == "UADMIN"
    assert row.item_count == 3
    with db.reading() as session:
        assert set(session.scalars(select(Item.announce))) == {False}


def test_list_pause_resume_remove(bolt_private_sources, fake, db, feed_server):
    feed_server.serve("/feed.xml", samples.simple_rss(2, start=10))
    bolt_private_sources.command(f"sources add {feed_server.url('/feed.xml')}", user_id="UOWNER")
    followup(fake)
    (row,) = sources_in_db(db)
    sid = row.source.id

    listing = bolt_private_sources.command("sources list", user_id="UMEMBER").json()
    shown = text_of(listing)
    assert f"*{sid}.*" in shown and "Coop Voices" in shown
    assert "2 items" in shown and "Last success:" in shown and "every 30 min" in shown

    paused = bolt_private_sources.command(f"sources pause {sid}", user_id="UADMIN").json()
    assert "Paused" in paused["text"]
    assert sources_in_db(db)[0].source.paused_at is not None
    assert "_paused_" in text_of(bolt_private_sources.command("sources").json())

    resumed = bolt_private_sources.command(f"sources resume #{sid}", user_id="UADMIN").json()
    assert "Resumed" in resumed["text"]
    assert sources_in_db(db)[0].source.paused_at is None

    slower = bolt_private_sources.command(f"sources interval {sid} 120", user_id="UADMIN").json()
    assert "is now checked every 2 hours" in slower["text"]
    assert sources_in_db(db)[0].source.interval_seconds == 7200
    too_fast = bolt_private_sources.command(f"sources interval {sid} 1", user_id="UADMIN").json()
    assert "at least 5 minutes" in too_fast["text"]

    removed = bolt_private_sources.command(f"sources remove {sid}", user_id="UCONFADMIN").json()
    assert "Stopped following" in removed["text"] and "stay searchable" in removed["text"]
    assert sources_in_db(db) == []
    with db.reading() as session:
        assert len(list(session.scalars(select(Item.id)))) == 2

    missing = bolt_private_sources.command(f"sources pause {sid}", user_id="UADMIN").json()
    assert f"There is no source {sid}" in missing["text"]


def test_members_cannot_write(bolt, fake, db):
    with db.transaction() as session:
        from storage.types import utcnow

        source = source_store.create_source(session, url="https://coop.example/feed", now=utcnow())
        sid = source.id
    for text in (
        "sources add https://coop.example/other",
        f"sources remove {sid}",
        f"sources pause {sid}",
        f"sources resume {sid}",
        f"sources interval {sid} 60",
    ):
        body = bolt.command(text, user_id="UMEMBER").json()
        assert body["text"] == REFUSAL, text
    (row,) = sources_in_db(db)
    assert row.source.paused_at is None
    assert [r.source.url for r in sources_in_db(db)] == ["https://coop.example/feed"]
    bolt.settle()
    assert fake.calls_to("response_url") == []


def test_private_address_refused_without_the_setting(bolt, fake, db, feed_server):
    feed_server.serve("/feed.xml", samples.simple_rss(1))
    body = bolt.command(f"sources add {feed_server.url('/feed.xml')}", user_id="UADMIN").json()
    assert "Reading" in body["text"]
    (answer,) = followup(fake)
    assert answer["text"].startswith("Not added:")
    assert "loopback" in answer["text"]
    assert sources_in_db(db) == []
    assert feed_server.requests == []


def test_bad_urls_and_duplicates_answered_in_the_ack(bolt_private_sources, fake, db, feed_server):
    for text, expected in (
        ("sources add", "Usage: `/coopnews sources add URL [category]`"),
        ("sources add ftp://coop.example/feed", "Not added: only http and https"),
        ("sources add notaurl", "Not added:"),
        ("sources pause x", "Usage: `/coopnews sources pause ID`"),
        ("sources frobnicate", "I don't know `sources frobnicate`"),
    ):
        body = bolt_private_sources.command(text, user_id="UADMIN").json()
        assert expected in body["text"], text
    feed_server.serve("/feed.xml", samples.simple_rss(1))
    url = feed_server.url("/feed.xml")
    bolt_private_sources.command(f"sources add {url}", user_id="UADMIN")
    followup(fake)
    again = bolt_private_sources.command(f"sources add {url}", user_id="UADMIN").json()
    assert "already followed" in again["text"]
    assert len(sources_in_db(db)) == 1


def test_page_url_is_followed_to_its_feed_and_junk_is_not_added(
    bolt_private_sources, fake, db, feed_server
):
    feed_server.serve("/about/", samples.PAGE_WITH_FEED, "text/html")
    feed_server.serve("/feeds/news.xml", samples.simple_rss(2))
    feed_server.serve("/junk", "just some text", "text/plain")
    bolt_private_sources.command(f"sources add {feed_server.url('/about/')}", user_id="UADMIN")
    (first,) = followup(fake)
    assert "Now following" in first["text"]
    (row,) = sources_in_db(db)
    assert row.source.feed_url == feed_server.url("/feeds/news.xml")
    bolt_private_sources.command(f"sources add {feed_server.url('/junk')}", user_id="UADMIN")
    second = followup(fake, 2)[1]
    assert "Not added: this is neither an RSS/Atom feed" in second["text"]
    assert len(sources_in_db(db)) == 1


def test_feed_text_is_escaped_in_the_list(bolt_private_sources, fake, db, feed_server):
    feed_server.serve(
        "/feed.xml", samples.rss2([{"title": "x", "guid": "1"}], title="<!channel> & <@U1>")
    )
    bolt_private_sources.command(f"sources add {feed_server.url('/feed.xml')}", user_id="UADMIN")
    followup(fake)
    shown = text_of(bolt_private_sources.command("sources list").json())
    assert "<!channel>" not in shown and "<@U1>" not in shown
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in shown


def test_help_lists_sources(bolt, db):
    member = text_of(bolt.command("help").json())
    assert "`/coopnews sources`  the feeds coopnews follows" in member
    assert "sources add" not in member
    admin = text_of(bolt.command("help", user_id="UADMIN").json())
    assert "`/coopnews sources add URL [category] | poll ID | remove ID" in admin
