"""`coopnews import URL|FILE` and `coopnews sources ...`: in process through click's CliRunner,
and one import as the installed console script (a subprocess)."""

from __future__ import annotations

from sqlalchemy import func, select

from storage import sources as source_store
from storage.models import Item
from tests import feed_samples as samples
from tests.conftest import ROOT, app_environment, run_cli, run_cli_in_process


def count_items(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(Item))


def env_for(database_url, fake, private: bool = True) -> dict:
    extra = {"COOPNEWS_ALLOW_PRIVATE_SOURCES": "1"} if private else {}
    return app_environment(database_url, fake, **extra)


def test_import_url_prints_the_summary_line_and_is_idempotent(db, fake, database_url, feed_server):
    xml = samples.rss2(
        [
            {"title": "One", "link": "https://coop.example/1", "guid": "g1"},
            {"title": "Two", "link": "https://coop.example/2", "guid": "g2"},
            {"guid": "empty"},  # nothing to show: skipped
        ]
    )
    feed_server.serve("/feed.xml", xml)
    env = env_for(database_url, fake)
    first = run_cli("import", feed_server.url("/feed.xml"), env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "added 2, already present 0, skipped 1"
    assert "warning: entry 3" in first.stderr
    again = run_cli("import", feed_server.url("/feed.xml"), env=env)
    assert again.stdout.strip().splitlines()[-1] == "added 0, already present 2, skipped 1"
    with db.reading() as session:
        assert set(session.scalars(select(Item.origin))) == {"feed"}


def test_import_page_url_follows_its_feed(db, fake, database_url, feed_server):
    feed_server.serve("/about/", samples.PAGE_WITH_FEED, "text/html")
    feed_server.serve("/feeds/news.xml", samples.simple_rss(4))
    result = run_cli_in_process(
        "import", feed_server.url("/about/"), env=env_for(database_url, fake)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "added 4, already present 0, skipped 0"


def test_import_url_refuses_loopback_without_the_setting(db, fake, database_url, feed_server):
    feed_server.serve("/feed.xml", samples.simple_rss(1))
    result = run_cli_in_process(
        "import", feed_server.url("/feed.xml"), env=env_for(database_url, fake, private=False)
    )
    assert result.returncode == 1
    assert "nothing imported" in result.stderr and "loopback" in result.stderr
    assert count_items(db) == 0


def test_import_feed_file_and_listing_file(db, fake, database_url, tmp_path):
    feed_file = tmp_path / "feed.xml"
    feed_file.write_bytes(samples.latin1_feed())
    env = env_for(database_url, fake)
    result = run_cli_in_process("import", str(feed_file), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "added 2, already present 0, skipped 0"
    listing = run_cli_in_process("import", str(ROOT / "data" / "ilo-coop-news-2017.txt"), env=env)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.strip().splitlines()[-1].startswith("added ")


def test_junk_is_refused_with_nothing_written(db, fake, database_url, tmp_path, feed_server):
    env = env_for(database_url, fake)
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(samples.BILLION_LAUGHS)
    page = tmp_path / "page.html"
    page.write_text(samples.PAGE_WITH_FEED)
    junk = tmp_path / "junk.xml"
    junk.write_text("<foo><bar>not a feed</bar></foo>")
    feed_server.serve("/gone", "")
    feed_server.routes.pop("/gone")
    cases = {
        str(bomb): "entities",
        str(page): "web page, not a feed",
        str(junk): "not an RSS or Atom feed",
        str(tmp_path / "missing.xml"): "cannot read",
        feed_server.url("/gone"): "HTTP 404",
        "ftp://coop.example/feed": "only http and https",
    }
    for source, message in cases.items():
        result = run_cli_in_process("import", source, env=env)
        assert result.returncode == 1, source
        assert "nothing imported" in result.stderr and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert count_items(db) == 0


def test_sources_commands(db, fake, database_url, feed_server):
    feed_server.serve("/feed.xml", samples.simple_rss(3))
    env = env_for(database_url, fake)
    added = run_cli_in_process(
        "sources", "add", feed_server.url("/feed.xml"), "Worker", "Co-ops", "--every", "15", env=env
    )
    assert added.returncode == 0, added.stderr
    assert "every 15 min" in added.stdout
    assert "added 3, already present 0, skipped 0" in added.stdout
    with db.reading() as session:
        (row,) = source_store.list_sources(session)
    sid = row.source.id
    assert row.source.category == "Worker Co-ops" and row.source.interval_seconds == 900

    listed = run_cli_in_process("sources", "list", env=env)
    assert f"{sid}. Coop Voices" in listed.stdout and "3 items" in listed.stdout
    assert run_cli_in_process("sources", "pause", str(sid), env=env).stdout.startswith("paused")
    assert "paused" in run_cli_in_process("sources", "list", env=env).stdout
    assert run_cli_in_process("sources", "resume", str(sid), env=env).stdout.startswith("resumed")
    assert (
        "every 60 min" in run_cli_in_process("sources", "interval", str(sid), "60", env=env).stdout
    )
    # resuming makes it due: one poll, an unchanged feed
    assert f"source {sid}: unchanged" in run_cli_in_process("sources", "poll", env=env).stdout
    assert "no source is due" in run_cli_in_process("sources", "poll", env=env).stdout
    assert run_cli_in_process("sources", "remove", str(sid), env=env).stdout.startswith("removed")
    missing = run_cli_in_process("sources", "remove", str(sid), env=env)
    assert missing.returncode == 1 and f"there is no source {sid}" in missing.stderr
    bad = run_cli_in_process("sources", "add", "ftp://x.example/", env=env)
    assert bad.returncode == 1 and "not added" in bad.stderr
    assert count_items(db) == 3
