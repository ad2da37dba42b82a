"""Odd feeds, as handed in ../shared/cases: long links, odd dates, inline markup,
and bytes that must not reach the store (NUL, invalid UTF-8, double entities).
Run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from sources.feed_items import feed_drafts
from sources.feeds import parse_feed
from storage import subscriptions
from storage.models import Item, Source
from storage.types import utcnow
from tests.block_kit import mrkdwn_texts
from tests.conftest import app_environment, run_cli

CASES = Path(__file__).parent / "cases"


def stored(db) -> dict[str, Item]:
    with db.reading() as session:
        return {i.title: i for i in session.scalars(select(Item))}


def rss(items: str, encoding: str = "utf-8") -> bytes:
    head = f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
    return head.encode() + items.encode(encoding) + b"</channel></rss>"


def test_long_link_is_stored_and_announced_within_slack_limits(db, fake, database_url, feed_server):
    env = app_environment(database_url, fake, COOPNEWS_ALLOW_PRIVATE_SOURCES="1")
    feed_server.serve("/news.xml", (CASES / "long-link" / "poll1.xml").read_bytes())
    added = run_cli("sources", "add", feed_server.url("/news.xml"), env=env)
    assert added.returncode == 0, added.stderr
    with db.transaction() as session:
        subscriptions.subscribe(session, "CLONG", created_by="UADMIN")
    feed_server.serve("/news.xml", (CASES / "long-link" / "poll2.xml").read_bytes())
    with db.transaction() as session:  # due now (`sources poll ID` is issue 11's)
        session.execute(update(Source).values(next_poll_at=utcnow() - timedelta(seconds=1)))
    polled = run_cli("sources", "poll", env=env)
    assert polled.returncode == 0, polled.stderr
    items = stored(db)
    assert len(items) == 2
    long_item = next(i for i in items.values() if i.url and len(i.url) > 2000)
    assert len(long_item.url) == 2685  # stored whole
    announced = run_cli("announce", env=env)
    assert announced.returncode == 0, announced.stderr
    [message] = fake.posted("CLONG")
    section = message["blocks"][0]["text"]["text"]
    assert len(section) <= 3000
    # Too long to show as a link: the title as plain text, never a cut link.
    assert long_item.url not in section and "<http" not in section
    assert all(len(text) <= 3000 for text in mrkdwn_texts({"blocks": message["blocks"]}))


def test_long_link_import_stores_both_entries(db, fake, database_url):
    env = app_environment(database_url, fake)
    result = run_cli("import", str(CASES / "long-link" / "poll2.xml"), env=env)
    assert result.returncode == 0, result.stderr
    assert "added 2" in result.stdout
    assert sorted(len(i.url) for i in stored(db).values())[-1] == 2685


def test_odd_dates_are_read_right_or_not_at_all(db, fake, database_url):
    env = app_environment(database_url, fake)
    result = run_cli("import", str(CASES / "odd-dates" / "feed.xml"), env=env)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr  # every date here can be read with confidence
    dates = {t.split()[2]: i.published_at for t, i in stored(db).items()}
    utc = UTC
    assert dates == {
        "a:": datetime(2026, 11, 20, 15, 7, 41, tzinfo=utc),
        "b:": datetime(2026, 11, 20, 10, 41, 36, tzinfo=utc),
        "c:": datetime(2026, 11, 20, 19, 40, 17, tzinfo=utc),
        "d:": datetime(2026, 11, 20, 17, 24, tzinfo=utc),
        "e:": datetime(2026, 11, 20, tzinfo=utc),
        "f:": datetime(2026, 11, 20, 10, tzinfo=utc),
        "g:": datetime(2026, 11, 9, tzinfo=utc),
    }
    listed = run_cli("latest", "-n", "10", env=env)
    assert listed.stdout.count("20 November 2026") == 6
    assert listed.stdout.count("09 November 2026") == 1


def test_unreadable_and_future_dates_fall_back_to_first_seen_with_a_warning():
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    feed = parse_feed(
        rss(
            "<item><title>Ambiguous</title><guid>1</guid><pubDate>03/04/2026</pubDate></item>"
            "<item><title>Garbage</title><guid>2</guid><pubDate>soon-ish</pubDate></item>"
            "<item><title>Future</title><guid>3</guid>"
            "<pubDate>Mon, 23 Nov 2026 12:00:00 +0000</pubDate></item>"
            "<item><title>Tomorrow</title><guid>4</guid>"
            "<pubDate>Sat, 21 Nov 2026 11:00:00 +0000</pubDate></item>"
        )
    )
    drafts = feed_drafts(feed, now=now)
    dated = {d.title: d.published_at for d in drafts.drafts}
    assert dated["Ambiguous"] == dated["Garbage"] == dated["Future"] == now
    assert dated["Tomorrow"] == now + timedelta(hours=23)  # within a day: a time zone ahead
    assert len(drafts.warnings) == 3
    assert any("'03/04/2026' not understood" in w for w in drafts.warnings)
    assert any("in the future" in w for w in drafts.warnings)


def test_inline_markup_keeps_words_whole_and_search_finds_them(slack, db, fake, database_url):
    env = app_environment(database_url, fake)
    result = run_cli("import", str(CASES / "inline-markup" / "feed.xml"), env=env)
    assert result.returncode == 0, result.stderr
    summaries = [i.summary or "" for i in stored(db).values()]
    assert any("Ask @mira for details #jobs" in s for s in summaries)
    assert any(
        "Our cooperative report is out: https://www.weavers.example.coop/reports/2026-annual" in s
        for s in summaries
    )
    listed = run_cli("latest", "-n", "5", env=env)
    assert "@ mira" not in listed.stdout and "co operative" not in listed.stdout
    body = slack.command("search cooperative report").json()
    assert "cooperative report is out" in str(body["blocks"])


def test_nul_bytes_invalid_utf8_and_entities_are_cleaned_once(db, fake, database_url, tmp_path):
    feed = tmp_path / "bytes.xml"
    feed.write_bytes(
        rss(
            "<item><title>Caf\u00e9 news</title><guid>1</guid>"
            "<description>nul\x00here and a bell\x07</description></item>"
            "<item><title>&amp;lt;!channel&amp;gt; notice</title><guid>2</guid></item>"
        ).replace("Café".encode(), b"Caf\xe9")  # one Latin-1 byte in a UTF-8 feed
        + b""
    )
    env = app_environment(database_url, fake)
    result = run_cli("import", str(feed), env=env)
    assert result.returncode == 0, result.stderr
    items = stored(db)
    assert set(items) == {"Café news", "<!channel> notice"}
    assert items["Café news"].summary == "nulhere and a bell"


def test_listing_with_stray_latin1_byte_and_nul_is_read(db, fake, database_url, tmp_path):
    listing = (CASES / "slash-text-escaped" / "before.txt").read_bytes()
    listing = listing.replace(b"Forty farms", b"Forty\x00 farms caf\xe9")
    path = tmp_path / "listing.txt"
    path.write_bytes(listing)
    result = run_cli("import", str(path), env=app_environment(database_url, fake))
    assert result.returncode == 0, result.stderr
    [item] = stored(db).values()
    assert item.summary == "Forty farms café now sell together."


def test_dates_out_of_range_fall_back_to_first_seen_and_keep_the_others(
    db, fake, database_url, tmp_path
):
    """A date Python cannot move to UTC (year 1 at +14:00) failed the whole document
    with an OverflowError; a year-1 date was taken as read (SQLite then refused the
    entry: its search key overflows). Neither is a feed's date: first seen, warned."""
    feed = tmp_path / "far-dates.xml"
    feed.write_bytes(
        rss(
            "<item><title>Overflowing</title><guid>1</guid>"
            "<pubDate>0001-01-01T00:00:00+14:00</pubDate></item>"
            "<item><title>Year one</title><guid>2</guid><pubDate>0001-01-01T00:00:00</pubDate></item>"
            "<item><title>Last day</title><guid>3</guid>"
            "<pubDate>9999-12-31T23:59:59-12:00</pubDate></item>"
            "<item><title>Ordinary</title><guid>4</guid>"
            "<pubDate>Fri, 20 Nov 2026 10:00:00 +0000</pubDate></item>"
            # RFC 822's two-digit year is read as written; a four-digit 0001 is not 2001.
            "<item><title>Two-digit year</title><guid>5</guid>"
            "<pubDate>Fri, 20 Nov 26 10:00:00 +0000</pubDate></item>"
            "<item><title>RFC 822 year one</title><guid>6</guid>"
            "<pubDate>Mon, 01 Jan 0001 00:00:00 +0000</pubDate></item>"
        )
    )
    before = utcnow()
    result = run_cli("import", str(feed), env=app_environment(database_url, fake))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "added 6, already present 0, skipped 0"
    assert result.stderr.count("dated when first seen") == 4, result.stderr
    items = stored(db)
    assert items["Ordinary"].published_at == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert items["Two-digit year"].published_at == datetime(2026, 11, 20, 10, tzinfo=UTC)
    for title in ("Overflowing", "Year one", "Last day", "RFC 822 year one"):
        assert items[title].published_at >= before - timedelta(seconds=1), title


def test_html_entities_in_a_feed_are_read_and_the_source_stays_healthy(
    db, fake, database_url, feed_server
):
    """`&nbsp;`, `&eacute;` and the like are not XML entities: feedparser read the entries
    but flagged the feed malformed, so a feed every reader accepts was recorded failing
    at every poll (backoff to 6 hours, the admin alerted) although nothing was lost."""
    env = app_environment(database_url, fake, COOPNEWS_ALLOW_PRIVATE_SOURCES="1")
    first = "<item><title>Caf&eacute;&nbsp;co-op</title><guid>1</guid></item>"
    feed_server.serve("/entities.xml", rss(first))
    added = run_cli("sources", "add", feed_server.url("/entities.xml"), env=env)
    assert added.returncode == 0, added.stderr
    second = "<item><title>Weavers&rsquo; report &amp; more</title><guid>2</guid></item>"
    feed_server.serve("/entities.xml", rss(first + second))
    with db.reading() as session:  # PostgreSQL's ids go on across tests
        source_id = session.scalars(select(Source.id)).one()
    polled = run_cli("sources", "poll", str(source_id), env=env)
    assert polled.returncode == 0, polled.stderr
    assert polled.stdout.strip() == f"source {source_id}: added 1, already present 1"
    assert set(stored(db)) == {
        "Caf\u00e9\u00a0co-op".replace("\u00a0", " "),
        "Weavers\u2019 report & more",
    }
    with db.reading() as session:
        source = session.scalars(select(Source)).one()
        assert (source.failures, source.last_error) == (0, None)
    listed = run_cli("sources", "list", env=env)
    assert "error" not in listed.stdout, listed.stdout
