"""Bench: importing and ingesting, each beside its baseline measured in the same run.

    .venv/bin/python bench/ingest.py [--entries 10000] [--polls 50] [--database-url URL]

`main` ingests a feed and polls it unchanged (served over HTTP from 127.0.0.1,
COOPNEWS_ALLOW_PRIVATE_SOURCES semantics). The functions below it are bench/table.py's
import and ingest rows:

- `import_run`: `coopnews import FILE` of an ILO listing, as a user runs it (a
  subprocess), its rate and peak RSS (the kernel's high-water mark of that process);
- `raw_load`: the raw rate of loading the very same rows into the same tables of a
  fresh store (executemany on SQLite, COPY on PostgreSQL) with the search trigger
  off and the search index built in bulk after the load: the baseline of `import_run`;
- `feedparser_run`: feedparser.parse alone of a feed file, whole (with `raw_load`, the
  fair baseline of a feed file's import: what any importer built on feedparser takes);
- `feed_times`: our parse of a feed (feedparser, then entries -> drafts) beside
  feedparser.parse alone on the same bytes.

Prints figures; asserts nothing.
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


def big_atom(n: int) -> bytes:
    """An Atom 1.0 feed of n entries with HTML summaries (big_feed's stories)."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    entries = []
    for i in range(n):
        moment = start - timedelta(hours=i)
        entries.append(
            "<entry>"
            f"<title>Cooperative story {i}: members &amp; workers build decent work</title>"
            f'<link href="https://coop.example/news/{i}"/>'
            f"<id>tag:coop.example,2026:{i}</id>"
            f"<updated>{moment:%Y-%m-%dT%H:%M:%SZ}</updated>"
            f'<category term="{CATEGORIES[i % len(CATEGORIES)]}"/>'
            f'<summary type="html">&lt;p&gt;A &lt;b&gt;summary&lt;/b&gt; for story {i}: '
            "cooperatives and the social and solidarity economy create jobs in many regions "
            "of the world.&lt;/p&gt;&lt;p&gt;Read more&amp;hellip;&lt;/p&gt;</summary>"
            "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        '<title>Bench Co-op News</title><link href="https://coop.example/"/>'
        "<id>tag:coop.example,2026:feed</id><updated>2026-11-01T00:00:00Z</updated>"
        + "".join(entries)
        + "</feed>"
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
    parser.add_argument("--import-child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--feedparser-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_child:
        return _import_child(args.import_child)
    if args.feedparser_child:
        return _feedparser_child(args.feedparser_child)

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


# -- bench/table.py's import and ingest rows ----------------------------------------
def write_listing(path: Path, entries: int) -> Path:
    """An ILO listing file of `entries` entries (bench/latest.py's listing text)."""
    from latest import listing

    path.write_text(listing(entries), encoding="utf-8")
    return path


def write_feed(path: Path, entries: int, kind: str) -> Path:
    """An RSS 2.0 ("rss") or Atom ("atom") file of `entries` entries."""
    path.write_bytes(big_feed(entries) if kind == "rss" else big_atom(entries))
    return path


def import_run(url: str, listing_file: Path) -> tuple[float, float, str]:
    """`coopnews import FILE` into `url`, in a process of its own as a user runs it:
    (seconds of the command after the interpreter started, peak RSS MB, its line)."""
    import os
    import subprocess

    env = dict(os.environ, DATABASE_URL=url)
    command = [sys.executable, str(Path(__file__).resolve()), "--import-child", str(listing_file)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"coopnews import failed: {done.stderr[-2000:]}")
    seconds, peak, line = done.stdout.strip().splitlines()[-1].split(" ", 2)
    return float(seconds), float(peak), line


def _import_child(listing_file: str) -> None:
    """The child of import_run: the click command, timed, then the process's VmHWM."""
    import contextlib
    import io

    from bot.cli import main as cli

    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        cli(["import", listing_file], standalone_mode=False)
    seconds = time.perf_counter() - started
    status = Path("/proc/self/status").read_text()
    peak_kb = int(status.split("VmHWM:")[1].split()[0])
    print(f"{seconds:.3f} {peak_kb / 1024:.1f} {out.getvalue().strip()}")


def feedparser_run(feed_file: Path) -> float:
    """Seconds of feedparser.parse alone on a feed file, whole, with the options
    parse_feed gives it for a file (no URL, no content type), in a process of its own:
    the least time any importer built on feedparser could take to read the file."""
    import subprocess

    command = [sys.executable, str(Path(__file__).resolve()), "--feedparser-child", str(feed_file)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"feedparser alone failed: {done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def _feedparser_child(feed_file: str) -> None:
    """The child of feedparser_run: the file read, then only feedparser.parse timed."""
    import feedparser

    data = Path(feed_file).read_bytes()
    headers = {"content-type": "application/xml"}
    started = time.perf_counter()
    parsed = feedparser.parse(
        data, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    seconds = time.perf_counter() - started
    if not parsed.entries:
        raise RuntimeError(f"feedparser read no entry of {feed_file}")
    print(f"{seconds:.3f}")


def listing_rows(listing_file: Path) -> tuple[list[dict], list[dict]]:
    """The items and entry_keys rows `coopnews import` stores for a listing (ids 1..n)."""
    from domain import identity
    from sources.documents import listing_drafts
    from sources.ilo import parse_listing
    from storage.store import item_row
    from storage.types import utcnow

    drafts = listing_drafts(parse_listing(listing_file.read_text(encoding="utf-8")))
    scope, now = identity.import_scope(str(listing_file.resolve())), utcnow()
    items, keys = [], []
    for number, draft in enumerate(drafts, start=1):
        items.append(item_row(draft, draft.fingerprint, now) | {"id": number, "announce": True})
        keys.append(
            {
                "scope": scope,
                "key_hash": identity.key_hash(draft.key.strip()),
                "item_id": number,
                "link": None,
                "title": draft.title[:500],
                "date": draft.entry_date,
                "summary_hash": identity.sha256(draft.summary or ""),
            }
        )
    return items, keys


def feed_file_rows(feed_file: Path) -> tuple[list[dict], list[dict]]:
    """The items and entry_keys rows `coopnews import` stores for a feed file whose
    entries all have links of their own (ids 1..n)."""
    from domain import identity
    from sources.documents import read_document
    from storage.store import item_row
    from storage.types import utcnow

    drafts = read_document(feed_file.read_bytes()).drafts
    scope, now = identity.import_scope(str(feed_file.resolve())), utcnow()
    items, keys = [], []
    for number, draft in enumerate(drafts, start=1):
        link_key = identity.link_key(draft.url)
        fingerprint = identity.sha256(f"link\x1f{link_key}")  # a link no item has yet
        items.append(item_row(draft, fingerprint, now) | {"id": number, "announce": True})
        keys.append(
            {
                "scope": scope,
                "key_hash": identity.key_hash(draft.key.strip()),
                "item_id": number,
                "link": draft.url.strip()[:2000],
                "title": draft.title[:500],
                "date": (draft.entry_date or "")[:100] or None,
                "summary_hash": identity.sha256(draft.summary or ""),
            }
        )
    return items, keys


def raw_load(url: str, items: list[dict], keys: list[dict]) -> float:
    """Seconds to load `items` and `keys` into a fresh store at `url` the raw way:
    executemany (SQLite) or COPY (PostgreSQL) with the search trigger off, then the
    search index built in one statement. Count triggers stay as they are."""
    from sqlalchemy import create_engine, insert
    from sqlalchemy import text as sql

    from storage.models import EntryKey, Item

    engine = create_engine(url)
    try:
        with engine.begin() as conn:  # setup, untimed
            if engine.dialect.name == "sqlite":
                conn.execute(sql("DROP TRIGGER items_fts_insert"))
                conn.execute(sql("DROP TRIGGER items_title_fts_insert"))
            else:
                conn.execute(sql("ALTER TABLE items DISABLE TRIGGER items_search_insert"))
        started = time.perf_counter()
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(insert(Item), items)
                conn.execute(insert(EntryKey), keys)
                conn.execute(sql(RAW_FTS))
                conn.execute(sql(RAW_TITLE_FTS))
            else:
                _copy(conn, Item.__table__, items)
                _copy(conn, EntryKey.__table__, keys)
                conn.execute(sql(RAW_SEARCH))
        return time.perf_counter() - started
    finally:
        engine.dispose()


RAW_FTS = """INSERT INTO items_fts(rowid, title, summary)
    SELECT CAST(strftime('%s', published_at) AS INTEGER) * 1073741824 + id, title, summary
    FROM items WHERE retracted_at IS NULL"""
RAW_TITLE_FTS = """INSERT INTO items_title_fts(rowid, title)
    SELECT CAST(strftime('%s', published_at) AS INTEGER) * 1073741824 + id, title
    FROM items WHERE retracted_at IS NULL"""
RAW_SEARCH = """INSERT INTO items_search(item_id, title_document, document, published_at)
    SELECT id, coopnews_search_document(title),
           coopnews_search_document(title || ' ' || coalesce(summary, '')),
           CASE WHEN retracted_at IS NULL THEN published_at END FROM items"""


def _copy(conn, table, rows: list[dict]) -> None:
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.connection.dbapi_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def feed_times(entries: int, rounds: int = 3) -> tuple[float, float]:
    """Best-of-`rounds` seconds: (feedparser.parse alone, our parse_feed + feed_drafts)
    on the same bytes of an `entries`-entry feed, interleaved. feedparser is given the
    options parse_feed gives it (no HTML sanitising or URI resolving: text is made
    plain after), so the ratio is our own work on top of the library's."""
    import feedparser

    body = big_feed(entries)
    headers = {"content-type": "application/xml", "content-location": "https://coop.example/"}
    theirs, ours = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        feedparser.parse(
            body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
        theirs.append(time.perf_counter() - started)
        started = time.perf_counter()
        feed_drafts(parse_feed(body, "https://coop.example/feed.xml"))
        ours.append(time.perf_counter() - started)
    return min(theirs), min(ours)


if __name__ == "__main__":
    main()
