"""Serving at scale: every command and App Home, 20 clients, and a worker's memory,
each beside the bare Bolt app measured in the same run, at several archive sizes.

    .venv/bin/python bench/serving.py                          # SQLite, 10,000 items
    .venv/bin/python bench/serving.py --sizes 10000 100000 1000000 --postgres
    .venv/bin/python bench/serving.py --postgres URL --no-sqlite --keep
    .venv/bin/python bench/serving.py --database-url URL --sizes 1000000   # a kept one

For each database and size: the archive is filled (bench/search.py's generator,
through the triggers that index and count every write), then the Procfile's web
process and the bare app (bench/bare_app.py, same gunicorn settings, same ack
hand-off) answer signed requests on 127.0.0.1 against the fake Web API. Rows:

- p50 / p99 of sequential `latest`, `search`, `categories` (ratio: p50 to the bare ack);
  these repeat a few commands, so a process that caches answers mostly hits: the row
  "search, each query new" sends texts never sent before in the run (NewSearches), so
  each is a miss, sequentially and with 20 clients;
- App Home, from the event sent to `views.publish` received, for a member and for an
  admin (ratio: p50 to the bare app publishing one block);
- requests per second with 20 clients, `latest` and `search`, beside the bare app;
- the largest worker's RSS after `--mixed` mixed requests (every kind above);
- as context only, rows named "context:": the bare app as the issue first measured it,
  with Bolt's own 10 ms ack poll (bench/bare_app.py, BENCH_BARE_POLL=1). The goals are
  judged against the bare app with the prompt ack, as every ratio here is.

Figures, no asserts. `bench/table.py` can add these rows through `serving_column()`.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from harness import (
    CLIENTS,
    FakeSlack,
    drop_postgres,
    fresh_database,
    fresh_postgres,
    home_times,
    postgres_url,
    start_bare,
    start_web,
    summary,
    throughput,
    time_commands,
    worker_rss_mb,
)
from search import CATEGORIES, SEARCHES, TOPICS, Generator, fill
from sqlalchemy import func, insert, select

from storage.db import Database
from storage.models import Item, ItemSource, Source

SOURCES = 20
LATESTS = ["latest", "latest 10", "latest 20"] + [f"latest 10 {c}" for c in CATEGORIES[:4]]
SEARCH_TEXTS = [f"search {q}" for q in SEARCHES]


class NewSearches:
    """`search` texts never given before in this process: one to three of the archive's
    topic words (bench/search.py), in a random order, each combination once. A cache of
    answers cannot hit them, whatever it keys on."""

    def __init__(self, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.given: set[str] = set()

    def take(self, count: int) -> list[str]:
        texts = []
        while len(texts) < count:
            words = self.rng.sample(TOPICS, self.rng.choice((1, 2, 2, 3)))
            text = "search " + " ".join(words)
            if text not in self.given:
                self.given.add(text)
                texts.append(text)
        return texts


NEW_SEARCHES = NewSearches()


def link_to_sources(db: Database, sources: int = SOURCES) -> None:
    """Give the archive `sources` feeds (a third of them failing) and link every item not
    yet linked to one, as polls do (item_sources; triggers keep each source's count), so
    an admin's App Home lists sources with counts at every size."""
    with db.engine.begin() as connection:
        have = connection.scalar(select(func.count()).select_from(Source))
        rows = [
            {"url": f"https://feeds.example/{n}", "title": f"Bench feed {n}", "kind": "rss",
             "failures": n % 3, "last_error": "HTTP 500" if n % 3 else None}
            for n in range(have, sources)
        ]  # fmt: skip
        if rows:
            connection.execute(insert(Source), rows)
        first = connection.scalar(select(func.min(Source.id)))
        linked = connection.scalar(select(func.max(ItemSource.item_id))) or 0
        new = select(Item.id, first + Item.id % sources).where(Item.id > linked)
        connection.execute(insert(ItemSource).from_select(["item_id", "source_id"], new))


def settle_counts(db: Database) -> None:
    """Fold the count deltas the fill wrote, and on PostgreSQL compact their tables.

    The fill inserts rows directly (one delta each); `coopnews import` and polls go
    through add_items, which folds after every batch, so a store that grew to this
    size holds a few rows per category and source, and autovacuum reuses the space of
    the few thousand deltas between folds. Without this the first read folds a
    million deltas and PostgreSQL's seq scans keep reading their dead pages (VACUUM
    FULL did not always shrink them here: an open snapshot elsewhere keeps dead rows,
    so the folded rows are copied back into the emptied tables instead)."""
    from storage.categories import fold
    from storage.models import CategoryDelta, SourceItemDelta

    with db.transaction() as session:
        fold(session, force=True)
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as connection:
        for table in (CategoryDelta.__table__, SourceItemDelta.__table__):
            rows = [dict(row) for row in connection.execute(select(table)).mappings()]
            connection.exec_driver_sql(f"TRUNCATE {table.name}")
            if rows:
                connection.execute(insert(table), rows)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE category_counts, source_item_counts")


def ms(samples: list[float], base: list[float] | None = None) -> str:
    p50, p99 = summary(samples)
    text = f"{p50:.1f} / {p99:.1f}"
    return text + (f" ({p50 / summary(base)[0]:.2f})" if base else "")


# Context only, not a baseline for the goals: the bare app as issue #16 first measured
# it, with Bolt's own runner polling for ack() every 10 ms (BENCH_BARE_POLL=1).
POLL_ACK = "context: bare app with Bolt's 10 ms ack poll (as the issue measured), ack p50 / p99 ms"
POLL_RATE = f"context: {CLIENTS} clients, bare app with Bolt's 10 ms ack poll, req/s"


def sequential(
    web, admin_web, bare, fake: FakeSlack, requests: int, polling=None
) -> dict[str, str]:
    """p50 / p99 of each command and App Home beside the bare app, interleaved rounds
    (`polling`: the bare app with Bolt's 10 ms poll, timed too, as context)."""
    rounds = max(1, requests // 4)
    got: dict[str, list[float]] = {
        k: [] for k in ("bare", "latest", "search", "new", "cats", "poll")
    }
    homes: dict[str, list[float]] = {"bare": [], "member": [], "admin": []}
    for _ in range(4):  # interleaved: drift in the machine's load hits all alike
        if polling is not None:
            got["poll"] += time_commands(polling.url, fake, ["latest"], rounds)
        got["bare"] += time_commands(bare.url, fake, ["latest"], rounds)
        got["latest"] += time_commands(web.url, fake, LATESTS, rounds)
        got["search"] += time_commands(web.url, fake, SEARCH_TEXTS, rounds)
        got["new"] += time_commands(
            web.url, fake, NEW_SEARCHES.take(rounds), rounds, warm=NEW_SEARCHES.take(5)
        )
        got["cats"] += time_commands(web.url, fake, ["categories"], rounds)
        homes["bare"] += home_times(bare.url, fake, rounds // 2)
        homes["member"] += home_times(web.url, fake, rounds // 2)
        homes["admin"] += home_times(admin_web.url, fake, rounds // 2)
        fake.reset()
        add_users(fake)
    column = {POLL_ACK: ms(got["poll"])} if polling is not None else {}
    return column | {
        "bare app: ack p50 / p99 ms": ms(got["bare"]),
        "latest p50 / p99 ms (x bare p50)": ms(got["latest"], got["bare"]),
        "search p50 / p99 ms (x bare p50)": ms(got["search"], got["bare"]),
        "search, each query new p50 / p99 ms (x bare p50)": ms(got["new"], got["bare"]),
        "categories p50 / p99 ms (x bare p50)": ms(got["cats"], got["bare"]),
        "bare app: home (one block) p50 / p99 ms": ms(homes["bare"]),
        "App Home, member p50 / p99 ms (x bare home)": ms(homes["member"], homes["bare"]),
        "App Home, admin p50 / p99 ms (x bare home)": ms(homes["admin"], homes["bare"]),
    }


def under_load(web, bare, fake: FakeSlack, requests: int, polling=None) -> dict[str, str]:
    """Requests per second with CLIENTS clients: the bare app, then latest and search,
    twice over; the best of each (`polling`: the 10 ms-poll bare app too, as context)."""
    rates: dict[str, list[float]] = {"bare": [], "latest": [], "search": [], "new": [], "poll": []}
    failed = 0
    for _ in range(2):
        runs = [
            ("bare", bare.url, ["latest"]),
            ("latest", web.url, LATESTS),
            ("search", web.url, SEARCH_TEXTS),
            ("new", web.url, None),
        ]
        if polling is not None:
            runs.insert(0, ("poll", polling.url, ["latest"]))
        for name, url, texts in runs:
            warm = None
            if texts is None:  # every request a text not sent before
                texts, warm = NEW_SEARCHES.take(requests), NEW_SEARCHES.take(CLIENTS)
            rate, errors = throughput(url, fake, texts, requests, warm=warm)
            rates[name].append(rate)
            failed += errors
        fake.reset()
        add_users(fake)
    bare = max(rates["bare"])  # the bare app's best: the stricter comparison

    def shown(name: str) -> str:
        best = max(rates[name])
        return f"{best:.0f} ({best / bare:.2f}x)"

    column = {POLL_RATE: f"{max(rates['poll']):.0f}"} if polling is not None else {}
    return column | {
        f"{CLIENTS} clients: bare req/s": f"{bare:.0f}",
        f"{CLIENTS} clients: latest req/s (x bare)": shown("latest"),
        f"{CLIENTS} clients: search req/s (x bare)": shown("search"),
        f"{CLIENTS} clients: search, each query new req/s (x bare)": shown("new"),
        f"{CLIENTS} clients: failed requests": str(failed),
    }


def memory(web, bare, fake: FakeSlack, mixed: int) -> dict[str, str]:
    """The largest worker's RSS after `mixed` more requests: commands of every kind and
    App Homes (bare: as many acks and homes)."""
    texts = LATESTS + SEARCH_TEXTS + ["categories"]
    per_kind = max(1, mixed // 5)
    time_commands(web.url, fake, texts, mixed - 2 * per_kind)
    home_times(web.url, fake, 2 * per_kind)
    time_commands(bare.url, fake, ["latest"], mixed - per_kind)
    home_times(bare.url, fake, per_kind)
    fake.reset()
    add_users(fake)
    return {
        f"worker RSS MB after {mixed:,} mixed requests (bare)": (
            f"{worker_rss_mb(web.proc.pid):.0f} ({worker_rss_mb(bare.proc.pid):.0f})"
        )
    }


def serving_column(
    url: str, fake: FakeSlack, work: Path, requests: int = 100, mixed: int = 1000
) -> dict[str, str]:
    """Every row of this bench for the archive at `url` (its current size): for
    bench/table.py, one column of its table. `fake` must know UMEMBER (add_users).
    App Home as an admin sees it comes from a second web process where UMEMBER is
    in COOPNEWS_ADMINS (the bench sends every request as UMEMBER)."""
    web = start_web(url, fake, work)
    admin_web = start_web(url, fake, work, COOPNEWS_ADMINS="UMEMBER")
    bare = start_bare(url, fake, work)
    polling = start_bare(url, fake, work, BENCH_BARE_POLL="1")
    try:
        column = sequential(web, admin_web, bare, fake, requests, polling)
        column.update(under_load(web, bare, fake, requests * 4, polling))
        column.update(memory(web, bare, fake, mixed))
    finally:
        for proc in (web, admin_web, bare, polling):
            proc.stop()
    return column


def add_users(fake: FakeSlack) -> None:
    fake.add_user("UMEMBER")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--requests", type=int, default=100, help="sequential, per command")
    parser.add_argument("--mixed", type=int, default=1000, help="requests before RSS is read")
    parser.add_argument("--postgres", nargs="?", const="", default=None,
                        help="also PostgreSQL: a server URL (none: the local one)")  # fmt: skip
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--database-url", help="measure this database instead (filled up to "
                        "each size from the items it has; kept); no other backend")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the databases (PostgreSQL, SQLite folder)")
    args = parser.parse_args()

    backends = [] if args.no_sqlite else ["sqlite"]
    server = postgres_url(args.postgres or None) if args.postgres is not None else None
    if server:
        backends.append("postgresql")
    columns: dict[str, dict[str, str]] = {}
    fake = FakeSlack().start()
    add_users(fake)
    try:
        for backend in [None] if args.database_url else backends:
            url, work = fresh_database(args.database_url, keep=args.keep)
            if backend == "postgresql":
                url = fresh_postgres(server)
            db, generator = Database(url), Generator()
            backend = db.engine.dialect.name
            with db.engine.connect() as connection:
                have = connection.scalar(select(func.count()).select_from(Item))
            try:
                for size in args.sizes:
                    if size > have:
                        fill(db, generator, have, size)
                        have = size
                    link_to_sources(db)
                    settle_counts(db)
                    column = serving_column(url, fake, work, args.requests, args.mixed)
                    columns[f"{backend} {have:,}"] = column
                    print(f"measured {backend} at {have:,} items", flush=True)
                    print_table({f"{backend} {have:,}": column})
            finally:
                db.dispose()
                if backend == "postgresql" and not (args.keep or args.database_url):
                    drop_postgres(server, url)
                elif args.keep or backend == "postgresql":
                    print(f"kept {url}")
    finally:
        fake.stop()
    print_table(columns)


def print_table(columns: dict[str, dict[str, str]]) -> None:
    names = list(columns)
    rows = list(dict.fromkeys(row for column in columns.values() for row in column))
    load = os.getloadavg()
    print(
        f"\n{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {load[0]:.1f} / {load[1]:.1f} (1 / 5 min)\n"
    )
    print("| | " + " | ".join(names) + " |")
    print("| --- |" + " --- |" * len(names))
    for row in rows:
        print(f"| {row} | " + " | ".join(columns[n].get(row, "") for n in names) + " |")
    print(flush=True)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"{time.perf_counter() - started:.0f} s")
