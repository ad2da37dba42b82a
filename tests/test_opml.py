"""OPML: the parser and writer, `coopnews sources export|import`, and URLs pasted in Slack."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sources.fetch import FetchOptions
from sources.opml import OpmlError, OpmlFeed, opml_document, parse_opml
from sources.poller import subscribe
from storage import sources as source_store
from storage.db import Database
from tests import feed_samples as samples
from tests.conftest import app_environment, new_database, run_cli

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Federation reading list</title></head>
  <body>
    <outline text="Top level" type="rss" xmlUrl="https://a.example/feed"/>
    <outline text="Housing">
      <outline text="Co-op homes" type="rss" xmlUrl="https://b.example/rss" htmlUrl="https://b.example/"/>
      <outline title="Regional">
        <outline text="North" type="rss" xmlurl="https://c.example/atom"/>
        <outline text="Tagged" type="rss" xmlUrl="https://d.example/f" category="/Worker Co-ops/,Other"/>
      </outline>
    </outline>
    <outline text="Empty folder"/>
  </body>
</opml>"""


def test_nested_folders_become_categories():
    assert parse_opml(NESTED) == [
        OpmlFeed("https://a.example/feed", "Top level", None),
        OpmlFeed("https://b.example/rss", "Co-op homes", "Housing", "https://b.example/"),
        OpmlFeed("https://c.example/atom", "North", "Regional"),
        OpmlFeed("https://d.example/f", "Tagged", "Worker Co-ops"),
    ]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"this is not xml", "not well-formed XML"),
        (b"<opml><body><outline xmlUrl='x'></body></opml>", "not well-formed XML"),
        (b"<rss version='2.0'><channel/></rss>", "root element is <rss>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;">]><opml><body>'
            b'<outline text="&b;" xmlUrl="https://x.example/"/></body></opml>',
            "entities",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<opml><body><outline text="&x;" xmlUrl="https://x.example/"/></body></opml>',
            "entities",
        ),
    ],
)
def test_malformed_documents_are_refused_with_a_reason(document, reason):
    with pytest.raises(OpmlError, match=reason):
        parse_opml(document)


def test_written_opml_reads_back_with_hostile_text():
    feeds = [
        OpmlFeed(
            "https://a.example/feed?x=1&y=2", 'A & B <script>"x"</script>\x07', "News & Views"
        ),
        OpmlFeed("https://b.example/rss", None, None, "https://b.example/"),
    ]
    document = opml_document(feeds, "coopnews sources", datetime(2026, 11, 29, tzinfo=UTC))
    assert b"<script>" not in document and b"\x07" not in document
    assert b"Sun, 29 Nov 2026 00:00:00 GMT" in document
    assert parse_opml(document) == [
        OpmlFeed("https://a.example/feed?x=1&y=2", 'A & B <script>"x"</script>', "News & Views"),
        OpmlFeed("https://b.example/rss", "https://b.example/rss", None, "https://b.example/"),
    ]


# -- the CLI ---------------------------------------------------------------------
def source_facts(url: str) -> set[tuple]:
    store = Database(url)
    try:
        with store.reading() as session:
            return {
                (r.source.url, r.source.feed_url, r.source.category, r.source.title, r.source.kind)
                for r in source_store.list_sources(session)
            }
    finally:
        store.dispose()


def test_export_then_import_into_a_fresh_store_gives_the_same_sources(
    db, fake, database_url, feed_server, tmp_path
):
    for path, category in (("/a.xml", "Housing"), ("/b.xml", None), ("/c.xml", "News & Views")):
        feed_server.serve(path, samples.rss2([{"title": path, "guid": path}], title=f"Feed {path}"))
        subscribe(db, feed_server.url(path), FetchOptions(allow_private=True), category=category)
    exported = tmp_path / "sources.opml"
    env = app_environment(database_url, fake, COOPNEWS_ALLOW_PRIVATE_SOURCES="1")
    result = run_cli("sources", "export", str(exported), env=env)
    assert result.returncode == 0, result.stderr
    assert "exported 3 sources" in result.stderr
    to_stdout = run_cli("sources", "export", env=env)
    assert parse_opml(to_stdout.stdout.encode()) == parse_opml(exported.read_bytes())

    with new_database(tmp_path) as fresh_url:
        fresh_env = dict(env, DATABASE_URL=fresh_url)
        first = run_cli("sources", "import", str(exported), env=fresh_env)
        assert first.returncode == 0, first.stdout + first.stderr
        assert first.stdout.splitlines()[-1] == "added 3, already followed 0, failed 0"
        assert source_facts(fresh_url) == source_facts(database_url)
        again = run_cli("sources", "import", str(exported), env=fresh_env)
        assert again.returncode == 0
        assert again.stdout.splitlines()[-1] == "added 0, already followed 3, failed 0"
        assert source_facts(fresh_url) == source_facts(database_url)


def test_import_prints_each_outcome_with_reasons(db, fake, database_url, feed_server, tmp_path):
    feed_server.serve("/good.xml", samples.simple_rss(2))
    feed_server.serve("/known.xml", samples.simple_rss(1, start=5))
    subscribe(db, feed_server.url("/known.xml"), FetchOptions(allow_private=True))
    good, known = feed_server.url("/good.xml"), feed_server.url("/known.xml")
    missing = feed_server.url("/missing.xml")
    listing = tmp_path / "list.opml"
    listing.write_text(
        f"""<opml version="2.0"><body><outline text="Co-ops">
        <outline text="Good" xmlUrl="{good}"/>
        <outline text="Known" xmlUrl="{known}"/>
        <outline text="Missing" xmlUrl="{missing}"/>
        <outline text="Not http" xmlUrl="ftp://files.example/feed"/>
        <outline text="Good again" xmlUrl="{good}"/>
        </outline></body></opml>"""
    )
    env = app_environment(database_url, fake, COOPNEWS_ALLOW_PRIVATE_SOURCES="1")
    result = run_cli("sources", "import", str(listing), env=env)
    assert result.returncode == 1  # some feeds failed
    lines = result.stdout.splitlines()
    assert lines[-1] == "added 1, already followed 2, failed 2"
    assert any(line.startswith(f"added: {good} (source ") for line in lines)
    assert sum(line.startswith(f"already followed: {good} ") for line in lines) == 1
    assert any(line.startswith(f"already followed: {known} ") for line in lines)
    (missing_line,) = [line for line in lines if line.startswith(f"failed: {missing}: ")]
    assert "404" in missing_line
    (ftp_line,) = [line for line in lines if line.startswith("failed: ftp://")]
    assert len(ftp_line) > len("failed: ftp://files.example/feed: ")
    with db.reading() as session:
        added = source_store.find_by_url(session, good)
        assert added.category == "Co-ops"


def test_a_malformed_file_is_refused_and_nothing_is_written(db, fake, database_url, tmp_path):
    broken = tmp_path / "broken.opml"
    broken.write_text('<opml version="2.0"><body><outline xmlUrl="https://a.example/"></body>')
    env = app_environment(database_url, fake)
    result = run_cli("sources", "import", str(broken), env=env)
    assert result.returncode == 1
    assert "is not a usable OPML file: not well-formed XML" in result.stderr
    assert "Nothing was imported" in result.stderr
    with db.reading() as session:
        assert source_store.list_sources(session) == []


# -- Slack -------------------------------------------------------------------------
def test_admin_pastes_several_urls_and_gets_three_counts(
    slack_private_sources, fake, db, feed_server
):
    feed_server.serve("/one.xml", samples.simple_rss(2))
    feed_server.serve("/two.xml", samples.simple_rss(2, start=10))
    subscribe(db, feed_server.url("/two.xml"), FetchOptions(allow_private=True))
    pasted = "\n".join(
        [feed_server.url("/one.xml"), f"<{feed_server.url('/two.xml')}>", "https://no.invalid/x"]
    )
    refused = slack_private_sources.command(f"sources add\n{pasted}", user_id="UMEMBER").json()
    assert "only coopnews admins" in refused["text"]

    ack = slack_private_sources.command(f"sources add\n{pasted}", user_id="UADMIN").json()
    assert "Reading 3 sources" in ack["text"]
    (answer,) = [c.params for c in fake.wait_for("response_url", 1, timeout=30)]
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Added 1, already followed 1, failed 1.")
    assert "https://no.invalid/x: " in answer["text"]
    with db.reading() as session:
        urls = {r.source.url for r in source_store.list_sources(session)}
        added = source_store.find_by_url(session, feed_server.url("/one.xml"))
    assert urls == {feed_server.url("/one.xml"), feed_server.url("/two.xml")}
    assert added.created_by == "UADMIN"


def test_pasting_more_than_fifty_urls_is_refused(slack_private_sources, fake, db):
    pasted = "\n".join(f"https://feeds.example/{i}" for i in range(51))
    answer = slack_private_sources.command(f"sources add\n{pasted}", user_id="UADMIN").json()
    assert "up to 50 URLs" in answer["text"] and "you pasted 51" in answer["text"]
    with db.reading() as session:
        assert source_store.list_sources(session) == []


def test_deeply_nested_folders_are_refused_with_a_reason_not_a_crash(
    db, fake, database_url, tmp_path
):
    depth = 3000  # beyond Python's recursion limit
    nested = tmp_path / "nested.opml"
    nested.write_text(
        '<opml version="2.0"><body>'
        + '<outline text="folder">' * depth
        + '<outline xmlUrl="https://a.example/feed"/>'
        + "</outline>" * depth
        + "</body></opml>"
    )
    result = run_cli("sources", "import", str(nested), env=app_environment(database_url, fake))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "folders nested deeper than" in result.stderr
    assert "Nothing was imported" in result.stderr
    with db.reading() as session:
        assert source_store.list_sources(session) == []


def test_importing_the_export_into_the_same_store_adds_nothing_for_a_discovered_feed(
    db, fake, database_url, feed_server, tmp_path
):
    # Followed by its web page: the feed was discovered, and the export names the feed
    # (xmlUrl), not the page. Importing that file back must not follow the feed twice.
    feed_server.serve("/about/", samples.PAGE_WITH_FEED, "text/html")
    feed_server.serve("/feeds/news.xml", samples.simple_rss(2))
    subscribe(db, feed_server.url("/about/"), FetchOptions(allow_private=True))
    exported = tmp_path / "sources.opml"
    env = app_environment(database_url, fake, COOPNEWS_ALLOW_PRIVATE_SOURCES="1")
    assert run_cli("sources", "export", str(exported), env=env).returncode == 0
    again = run_cli("sources", "import", str(exported), env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines()[-1] == "added 0, already followed 1, failed 0"
    with db.reading() as session:
        assert len(source_store.list_sources(session)) == 1


def test_a_page_whose_feed_is_already_followed_is_not_followed_again(
    bolt_private_sources, fake, db, feed_server
):
    feed_server.serve("/about/", samples.PAGE_WITH_FEED, "text/html")
    feed_server.serve("/feeds/news.xml", samples.simple_rss(2))
    subscribe(db, feed_server.url("/feeds/news.xml"), FetchOptions(allow_private=True))
    bolt_private_sources.command(f"sources add {feed_server.url('/about/')}", user_id="UADMIN")
    bolt_private_sources.settle()
    (answer,) = [c.params["text"] for c in fake.calls if c.method == "response_url"]
    assert "already followed" in answer, answer
    with db.reading() as session:
        assert len(source_store.list_sources(session)) == 1
