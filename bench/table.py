"""`make bench`: one table of every command, App Home, load, memory, import and feed
ingest, each beside its baseline measured in the same run.

For SQLite and (when one answers) PostgreSQL, one column per size:

- request rows (--sizes, default 10,000 items): the Procfile's web process
  (gunicorn, 2 workers x 8 threads) and a bare Bolt app that only acks (and, for
  App Home, publishes one block) on the same gunicorn settings answer signed
  requests on 127.0.0.1, against the fake Web API: p50 / p99 of sequential
  requests (App Home: event sent to `views.publish` received), throughput with 20
  concurrent clients, the largest gunicorn worker's RSS after the run;
- import rows (--import-sizes, default 10,000 and 100,000 entries; --import-kinds),
  bench/ingest.py: `coopnews import FILE` of an ILO listing, an RSS 2.0 and an Atom
  file into a fresh store, in a process of its own, beside the raw load of the very same rows into the same tables of another
  fresh store (executemany on SQLite, COPY on PostgreSQL, search index built in bulk
  after the load), timed before and after the import (the faster one counts); and
  that process's peak RSS beside a 10-entry import's (the process's own floor); for a
  feed file also beside the fair baseline: feedparser.parse alone of the same file
  (whole, in a process of its own) plus that raw load, the least any importer built
  on feedparser could take;
- the feed row (first column): our parse of a 10,000-entry feed beside
  feedparser.parse alone on the same bytes, with the options we give it.

More rows: add a function `(backend, url, size) -> {row: cell}` to ROWS (their
measurements live in their own modules). Figures, no asserts.

    .venv/bin/python bench/table.py                        # the quick default, minutes
    .venv/bin/python bench/table.py --sizes 10000 100000 --requests 60 --postgres URL
    .venv/bin/python bench/table.py --sizes --import-sizes 10000 100000 --feed-entries 0
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from harness import (
    FakeSlack,
    drop_postgres,
    fresh_database,
    fresh_postgres,
    postgres_url,
)
from ingest import (
    feed_file_rows,
    feed_times,
    feedparser_run,
    import_run,
    listing_rows,
    raw_load,
    write_feed,
    write_listing,
)
from search import Generator, fill
from serving import link_to_sources, serving_column, settle_counts

from storage.db import Database

IMPORT_KINDS = ("listing", "rss", "atom")


def import_rows(
    backend: str, server: str | None, entries: int, work: Path, kind: str = "listing"
) -> dict[str, str]:
    """`coopnews import` of an `entries`-entry file of `kind` (an ILO listing, an RSS 2.0
    or Atom feed) beside the raw load of the same rows (each into a fresh store of
    `backend`), and its peak RSS beside a 10-entry import of the same kind's."""
    if kind == "listing":
        source_file = write_listing(work / f"listing-{entries}.txt", entries)
        tiny = write_listing(work / "listing-10.txt", 10)
        items, keys = listing_rows(source_file)
        what = "coopnews import"
    else:
        source_file = write_feed(work / f"{kind}-{entries}.xml", entries, kind)
        tiny = write_feed(work / f"{kind}-10.xml", 10, kind)
        items, keys = feed_file_rows(source_file)
        what = f"coopnews import of {'RSS' if kind == 'rss' else 'Atom'}"

    def fresh() -> str:
        return fresh_postgres(server) if backend == "postgresql" else fresh_database(None)[0]

    def scratch(run):
        url = fresh()
        try:
            return run(url)
        finally:
            if backend == "postgresql":
                drop_postgres(server, url)

    raws = [scratch(lambda url: raw_load(url, items, keys))]
    parses = [] if kind == "listing" else [feedparser_run(source_file)]
    seconds, peak, line = scratch(lambda url: import_run(url, source_file))
    raws.append(scratch(lambda url: raw_load(url, items, keys)))
    parses += [] if kind == "listing" else [feedparser_run(source_file)]
    _s, floor, _l = scratch(lambda url: import_run(url, tiny))
    if not line.startswith(f"added {entries},"):
        raise RuntimeError(f"import of {entries:,} {kind} entries: {line}")
    rate, raw = entries / seconds, entries / min(raws)
    cells = {
        f"{what} items/s (raw load items/s, ratio; goal >= 0.5)": f"{rate:,.0f} "
        f"({raw:,.0f}, {rate / raw:.2f})",
    }
    if parses:
        # The least any importer built on feedparser could take: its parse of the file
        # and the raw load of the rows, one after the other.
        fair = entries / (min(parses) + min(raws))
        cells[f"{what} items/s (feedparser alone + raw load items/s, ratio)"] = (
            f"{rate:,.0f} ({fair:,.0f}, {rate / fair:.2f})"
        )
    cells[f"{what} peak RSS MB (10-entry import; goal < 100 at 100,000)"] = (
        f"{peak:.0f} ({floor:.0f})"
    )
    return cells


def feed_rows(entries: int) -> dict[str, str]:
    feedparser_s, ours_s = feed_times(entries)
    return {
        f"feed parse of {entries:,} entries s (feedparser alone, ratio; goal <= 1.2)": f"{ours_s:.2f} "
        f"({feedparser_s:.2f}, {ours_s / feedparser_s:.2f})"
    }


# More rows per column: functions (backend, database URL filled to `size` items, size)
# -> {row label: cell}, run after the request rows of that column (16a: commands,
# App Home, throughput, memory at larger archives). Cells say "value (baseline, ratio)".
ROWS: list = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000], help="items served")
    parser.add_argument("--requests", type=int, default=100, help="per command, per size")
    parser.add_argument("--mixed", type=int, default=1000, help="requests before the RSS row")
    parser.add_argument("--import-sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--feed-entries", type=int, default=10_000)
    parser.add_argument(
        "--import-kinds", nargs="*", default=list(IMPORT_KINDS), choices=IMPORT_KINDS
    )
    parser.add_argument("--postgres", default=None, help="a server URL (default: local if up)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    server = None if args.no_postgres else postgres_url(args.postgres)
    columns: dict[str, dict[str, str]] = {}
    fake = FakeSlack().start()
    fake.add_user("UMEMBER")
    sizes = sorted(set(args.sizes) | set(args.import_sizes))
    try:
        for backend in ["sqlite"] + (["postgresql"] if server else []):
            url, work = fresh_database(None)
            if backend == "postgresql":
                url = fresh_postgres(server)
            db, generator, have = Database(url), Generator(), 0
            try:
                for size in sizes:
                    column = columns.setdefault(f"{backend} {size:,}", {})
                    if size in args.sizes:
                        started = time.perf_counter()
                        fill(db, generator, have, size)
                        raw = (size - have) / (time.perf_counter() - started)
                        have = size
                        link_to_sources(db)
                        settle_counts(db)
                        column.update(
                            serving_column(url, fake, work, args.requests, mixed=args.mixed)
                        )
                        column["raw executemany fill rows/s (triggers on)"] = f"{raw:,.0f}"
                        for rows in ROWS:
                            column.update(rows(backend, url, size))
                    if size in args.import_sizes:
                        for kind in args.import_kinds:
                            column.update(import_rows(backend, server, size, work, kind))
                    print(f"measured {backend} at {size:,}", flush=True)
            finally:
                db.dispose()
                if backend == "postgresql":
                    drop_postgres(server, url)
    finally:
        fake.stop()
    if args.feed_entries:
        columns[next(iter(columns))].update(feed_rows(args.feed_entries))
    print_table(columns)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return " ".join(line.split(":", 1)[1].split())
    return platform.processor() or "unknown CPU"


def memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def print_table(columns: dict[str, dict[str, str]]) -> None:
    names = list(columns)
    rows = list(dict.fromkeys(row for column in columns.values() for row in column))
    load = os.getloadavg()
    print(
        f"\n{platform.node()}: {os.cpu_count()} CPUs ({cpu_model()}), {memory_gb():.1f} GB RAM, "
        f"{platform.python_implementation()} {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"load average {load[0]:.1f} / {load[1]:.1f} (1 / 5 min)\n"
    )
    print("| | " + " | ".join(names) + " |")
    print("| --- |" + " --- |" * len(names))
    for row in rows:
        print(f"| {row} | " + " | ".join(columns[n].get(row, "") for n in names) + " |")


if __name__ == "__main__":
    main()
