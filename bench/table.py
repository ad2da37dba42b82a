"""`make bench`: one table of every command, App Home, load, memory, import and feed
ingest, each beside its baseline measured in the same run.

For SQLite and (when one answers) PostgreSQL, one column per size:

- request rows (--sizes, default 10,000 items): the Procfile's web process
  (gunicorn, 2 workers x 8 threads) and a bare Bolt app that only acks (and, for
  App Home, publishes one block) on the same gunicorn settings answer signed
  requests on 127.0.0.1, against the fake Web API: p50 / p99 of sequential
  requests (App Home: event sent to `views.publish` received), throughput with 20
  concurrent clients, the largest gunicorn worker's RSS after the run;
- import rows (--import-sizes, default 10,000 and 100,000 entries), bench/ingest.py:
  `coopnews import FILE` of an ILO listing into a fresh store, in a process of its
  own, beside the raw load of the very same rows into the same tables of another
  fresh store (executemany on SQLite, COPY on PostgreSQL, search index built in bulk
  after the load), timed before and after the import (the faster one counts); and
  that process's peak RSS beside a 10-entry import's (the process's own floor);
- the feed row (first column): our parse of a 10,000-entry feed beside
  feedparser.parse alone on the same bytes, with the options we give it.

More rows: add a function `(backend, url, size) -> {row: cell}` to ROWS (their
measurements live in their own modules). Figures, no asserts.

    .venv/bin/python bench/table.py                        # the quick default, minutes
    .venv/bin/python bench/table.py --sizes 10000 100000 --requests 60 --postgres URL
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from harness import SIGNING_SECRET, FakeSlack, fresh_database, start_bare, start_web, summary
from harness import time_commands as timed
from ingest import feed_times, import_run, listing_rows, raw_load, write_listing
from search import CATEGORIES, SEARCHES, Generator, fill

from storage.db import Database
from tests.slack_requests import SlackSender

PG_LOCAL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CLIENTS = 20


def worker_rss_mb(master_pid: int) -> float:
    """The largest RSS among the gunicorn master's children (its workers), in MB."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    largest = 0
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                largest = max(largest, int(line.split()[1]))
    return largest / 1024


def home_times(url: str, fake: FakeSlack, rounds: int) -> list[float]:
    """Milliseconds from an app_home_opened event sent to its views.publish received."""
    sender = SlackSender(url, SIGNING_SECRET, fake.response_url())
    samples = []
    for number in range(rounds + 3):
        before = len(fake.calls_to("views.publish"))
        event = {"type": "app_home_opened", "user": "UMEMBER", "channel": "D1", "tab": "home"}
        started = time.perf_counter()
        sender.event(event | {"event_ts": f"{time.time():.6f}"}, event_id=f"Ev{uuid.uuid4().hex}")
        while len(fake.calls_to("views.publish")) <= before:
            if time.perf_counter() - started > 10:
                raise RuntimeError("no views.publish within 10 s")
            time.sleep(0.0005)
        if number >= 3:  # warm-up
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def throughput(url: str, fake: FakeSlack, texts: list[str], total: int) -> tuple[float, int]:
    """Requests per second with CLIENTS concurrent clients, and the failed ones."""
    senders = [SlackSender(url, SIGNING_SECRET, fake.response_url()) for _ in range(CLIENTS)]

    def one(number: int) -> bool:
        response = senders[number % CLIENTS].command(texts[number % len(texts)])
        return response.status_code == 200

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(one, range(CLIENTS)))  # warm-up: every connection open
        started = time.perf_counter()
        results = list(pool.map(one, range(total)))
        seconds = time.perf_counter() - started
    return total / seconds, results.count(False)


def ms(samples: list[float]) -> str:
    p50, p99 = summary(samples)
    return f"{p50:.1f} / {p99:.1f}"


def measure(url: str, size: int, requests: int, fake: FakeSlack, work: Path) -> dict[str, str]:
    web, bare = start_web(url, fake, work), start_bare(url, fake, work)
    rounds = max(1, requests // 2)
    try:
        rows: dict[str, list[float]] = {k: [] for k in ("bare", "latest", "search", "cats")}
        homes: dict[str, list[float]] = {"app": [], "bare": []}
        for _ in range(2):  # interleaved: drift in the machine's load hits all alike
            rows["bare"] += timed(bare.url, fake, ["latest"], rounds)
            rows["latest"] += timed(web.url, fake, [f"latest 10 {c}" for c in CATEGORIES[:5]] +
                                    ["latest"], rounds)  # fmt: skip
            rows["search"] += timed(web.url, fake, [f"search {q}" for q in SEARCHES], rounds)
            rows["cats"] += timed(web.url, fake, ["categories"], rounds)
            homes["bare"] += home_times(bare.url, fake, rounds // 2)
            homes["app"] += home_times(web.url, fake, rounds // 2)
        load = requests * 4
        bare_rate, bare_failed = throughput(bare.url, fake, ["latest"], load)
        latest_rate, latest_failed = throughput(web.url, fake, ["latest", "latest 10 News"], load)
        search_rate, search_failed = throughput(
            web.url, fake, [f"search {q}" for q in SEARCHES], load
        )
        served = 2 * rounds * 4 + rounds * 2 + 2 * load + CLIENTS * 2
        rss, bare_rss = worker_rss_mb(web.proc.pid), worker_rss_mb(bare.proc.pid)
    finally:
        web.stop()
        bare.stop()

    def ratio(samples: list[float], base: list[float]) -> str:
        return f"{summary(samples)[0] / summary(base)[0]:.2f}"

    return {
        "bare Bolt app, ack p50 / p99 ms": ms(rows["bare"]),
        "/coopnews latest p50 / p99 ms (ratio p50)": f"{ms(rows['latest'])} "
        f"({ratio(rows['latest'], rows['bare'])})",
        "/coopnews search p50 / p99 ms (ratio p50)": f"{ms(rows['search'])} "
        f"({ratio(rows['search'], rows['bare'])})",
        "/coopnews categories p50 / p99 ms (ratio p50)": f"{ms(rows['cats'])} "
        f"({ratio(rows['cats'], rows['bare'])})",
        "App Home to views.publish p50 / p99 ms": ms(homes["app"]),
        "bare app home (one block) p50 / p99 ms (ratio p50)": f"{ms(homes['bare'])} "
        f"({ratio(homes['app'], homes['bare'])})",
        f"{CLIENTS} clients: bare req/s": f"{bare_rate:.0f} ({bare_failed} failed)",
        f"{CLIENTS} clients: latest req/s (x bare)": f"{latest_rate:.0f} "
        f"({latest_rate / bare_rate:.2f}x, {latest_failed} failed)",
        f"{CLIENTS} clients: search req/s (x bare)": f"{search_rate:.0f} "
        f"({search_rate / bare_rate:.2f}x, {search_failed} failed)",
        "worker RSS MB after the run's requests (bare)": f"{rss:.0f} after {served:,} "
        f"({bare_rss:.0f})",
    }


def import_rows(backend: str, server: str | None, entries: int, work: Path) -> dict[str, str]:
    """`coopnews import` of `entries` listing entries beside the raw load of the same
    rows (each into a fresh store of `backend`), and its peak RSS beside a tiny import's."""
    listing_file = write_listing(work / f"listing-{entries}.txt", entries)
    items, keys = listing_rows(listing_file)

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
    seconds, peak, line = scratch(lambda url: import_run(url, listing_file))
    raws.append(scratch(lambda url: raw_load(url, items, keys)))
    tiny = write_listing(work / "listing-10.txt", 10)
    _s, floor, _l = scratch(lambda url: import_run(url, tiny))
    if not line.startswith(f"added {entries},"):
        raise RuntimeError(f"import of {entries:,} entries: {line}")
    rate, raw = entries / seconds, entries / min(raws)
    return {
        "coopnews import items/s (raw load items/s, ratio; goal >= 0.5)": f"{rate:,.0f} "
        f"({raw:,.0f}, {rate / raw:.2f})",
        "coopnews import peak RSS MB (10-entry import; goal < 100 at 100,000)": f"{peak:.0f} "
        f"({floor:.0f})",
    }


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


def postgres_url(wanted: str | None) -> str | None:
    if wanted:
        return wanted
    try:
        socket.create_connection(("127.0.0.1", 5432), 1).close()
        return PG_LOCAL
    except OSError:
        return None


def fresh_postgres(server: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from storage.db import upgrade

    name = f"coopnews_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def drop_postgres(server: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000], help="items served")
    parser.add_argument("--requests", type=int, default=100, help="per command, per size")
    parser.add_argument("--import-sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--feed-entries", type=int, default=10_000)
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
                        column.update(measure(url, size, args.requests, fake, work))
                        column["raw executemany fill rows/s (triggers on)"] = f"{raw:,.0f}"
                        for rows in ROWS:
                            column.update(rows(backend, url, size))
                    if size in args.import_sizes:
                        column.update(import_rows(backend, server, size, work))
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
