"""Bench: ingesting a 10,000-entry feed, and the cost of polling a feed that did not change.

    .venv/bin/python bench/ingest.py [--entries 10000] [--polls 50] [--database-url URL]

The feed is served over HTTP from 127.0.0.1 (COOPNEWS_ALLOW_PRIVATE_SOURCES
semantics). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import update  # noqa: E402

from sources.feed_items import feed_drafts  # noqa: E402
from sources.feeds import parse_feed  # noqa: E402
from sources.fetch import FetchOptions  # noqa: E402
from sources.poller import poll_source, subscribe  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from storage.entries import add_items  # noqa: E402
from storage.models import Source  # noqa: E402
from tests.feed_server import FeedServer, Served  # noqa: E402

CATEGORIES = ["News", "Housing", "Finance", "Agriculture", "Worker co-ops"]


def big_feed(n: int, shift_days: int = 0) -> bytes:
    """An RSS 2.0 feed of n entries with HTML descriptions, like a real CMS's."""
    start = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=shift_days)
    items = []
    for i in range(n):
        moment = start - timedelta(hours=i)
        items.append(
            "<item>"
            f"<title>Cooperative story {i}: members &amp; workers build decent work</title>"
            f"<link>https://coop.example/news/{i}</link>"
            f'<guid isPermaLink="true">https://coop.example/news/{i}</guid>'
            f"<pubDate>{moment:%a, %d %b %Y %H:%M:%S} +0000</pubDate>"
            f"<category>{CATEGORIES[i % len(CATEGORIES)]}</category>"
            "<description><![CDATA[<p>A <b>summary</b> for story "
            f"{i}: cooperatives and the social and solidarity economy create jobs "
            "in many regions of the world.</p><p>Read more&hellip;</p>]]></description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Bench Co-op News</title><link>https://coop.example/</link>"
        "<description>bench</description>" + "".join(items) + "</channel></rss>"
    ).encode()


def make_due(db: Database, source_id: int) -> None:
    with db.transaction() as session:
        session.execute(update(Source).where(Source.id == source_id).values(next_poll_at=None))


def timed_polls(db: Database, source_id: int, options: FetchOptions, n: int) -> list[float]:
    out = []
    for _ in range(n):
        make_due(db, source_id)
        started = time.perf_counter()
        outcome = poll_source(db, source_id, options)
        out.append((time.perf_counter() - started) * 1000)
        assert outcome is not None
    return out


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered):.2f} ms, p90 {p90:.2f} ms (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--polls", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="coopnews-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    db = Database(url)
    body = big_feed(args.entries)
    print(
        f"database: {db.engine.dialect.name}; feed: {args.entries} entries, {len(body) / 1e6:.1f} MB"
    )

    # 1. Parse and store, in process (no HTTP).
    started = time.perf_counter()
    feed = parse_feed(body, "https://coop.example/feed.xml")
    parsed_at = time.perf_counter()
    drafts = feed_drafts(feed).drafts
    drafted_at = time.perf_counter()
    with db.transaction() as session:
        result = add_items(session, drafts, announce=False)
    stored_at = time.perf_counter()
    total = stored_at - started
    print(
        f"parse (feedparser)     {parsed_at - started:7.2f} s  "
        f"{len(feed.entries) / (parsed_at - started):9,.0f} entries/s"
    )
    print(
        f"clean + identity       {drafted_at - parsed_at:7.2f} s  "
        f"{len(drafts) / (drafted_at - parsed_at):9,.0f} entries/s"
    )
    print(
        f"store (one transaction){stored_at - drafted_at:7.2f} s  "
        f"{len(result.added) / (stored_at - drafted_at):9,.0f} items/s"
    )
    print(f"parse + store          {total:7.2f} s  {len(result.added) / total:9,.0f} items/s")

    # 2. Over HTTP, as the worker polls: first poll, then unchanged polls.
    server = FeedServer().start()
    etag = '"bench-1"'

    def with_etag(request):
        if request.headers.get("if-none-match") == etag:
            return Served(304, b"", {"ETag": etag})
        return Served(200, body, {"Content-Type": "application/rss+xml", "ETag": etag})

    server.routes["/etag.xml"] = with_etag
    server.routes["/plain.xml"] = lambda request: Served(
        200, body, {"Content-Type": "application/rss+xml"}
    )
    redated = big_feed(args.entries, shift_days=1)
    server.routes["/redated.xml"] = lambda request: Served(
        200, redated, {"Content-Type": "application/rss+xml"}
    )
    options = FetchOptions(allow_private=True, timeout=60)
    started = time.perf_counter()
    first = subscribe(db, server.url("/etag.xml"), options)
    print(
        f"first poll over HTTP   {time.perf_counter() - started:7.2f} s  "
        f"(added {first.added}, already present {first.already_present})"
    )
    plain = subscribe(db, server.url("/plain.xml"), options).source.id
    redated_source = subscribe(db, server.url("/redated.xml"), options).source.id

    print(f"unchanged poll, 304        {ms(timed_polls(db, first.source.id, options, args.polls))}")
    print(f"unchanged poll, same 200   {ms(timed_polls(db, plain, options, args.polls))}")
    # Different bytes, same entries (re-dated): the full parse + identity check, nothing added.
    # Alternate two re-dated bodies so that every poll sees new bytes.
    bodies = [big_feed(args.entries, shift_days=2), redated]
    server.routes["/redated.xml"] = lambda request: Served(
        200, bodies.append(bodies.pop(0)) or bodies[-1], {"Content-Type": "application/rss+xml"}
    )
    print(f"re-dated 200, 0 new        {ms(timed_polls(db, redated_source, options, 3))}")
    server.stop()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_mb:.0f} MB")
    db.dispose()


if __name__ == "__main__":
    main()
