"""The cost of a search that misses the answer cache: this checkout's storage/search.py
beside another revision's, alternately, on one filled database, in process.

    cd bench && ../.venv/bin/python search_miss.py URL [--before REV] [--queries 300]

URL is a database filled by bench/search.py's generator (as search_bands.py takes it)
and upgraded to this checkout's migrations; REV defaults to main. Each query is new (bench/serving.py's
NewSearches: one to three topic words, each combination once) and is answered by each
version in turn (which goes first alternates) as a miss answers it: bot/paging.py's
build_search_page in a `Database.reading()` session (the search, the featured item's
id, the Block Kit message), as a member sees it. Prints p50 / p99 µs and statements
per miss for each version, and checks both built the same message (JSON text).
Figures, no asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from types import SimpleNamespace

from search_bands import load_revision
from serving import NewSearches
from sqlalchemy import event

import bot.paging as paging
from storage import search
from storage.db import Database

MEMBER = SimpleNamespace(item_controls=lambda user_id, featured_id=None: None)


def answer(db: Database, module, text: str, counter: list[int]) -> tuple[int, int, str]:
    """(ns, statements, message JSON) for one miss answered with `module` as storage.search."""
    paging.search = module
    try:
        before = counter[0]
        with db.reading() as session:
            started = time.perf_counter_ns()
            message = paging.build_search_page(session, MEMBER, "U1", text)
            spent = time.perf_counter_ns() - started
        return spent, counter[0] - before, json.dumps(message, sort_keys=True)
    finally:
        paging.search = search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--before", default="main")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=29)
    args = parser.parse_args()
    versions = {f"before ({args.before})": load_revision(args.before), "after": search}
    db = Database(args.url)
    counter = [0]

    def count(*_args) -> None:
        counter[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    new = NewSearches(seed=args.seed)
    for text in new.take(10):  # warm both (statistics, compiled statements)
        for module in versions.values():
            answer(db, module, text.removeprefix("search "), counter)
    times: dict[str, list[float]] = {name: [] for name in versions}
    statements: dict[str, list[int]] = {name: [] for name in versions}
    differ = 0
    load_before = os.getloadavg()
    for number, text in enumerate(new.take(args.queries)):
        order = list(versions.items())
        if number % 2:
            order.reverse()
        built = set()
        for name, module in order:
            spent, ran, message = answer(db, module, text.removeprefix("search "), counter)
            times[name].append(spent / 1000)
            statements[name].append(ran)
            built.add(message)
        differ += len(built) > 1
    load = os.getloadavg()
    print(f"{db.engine.dialect.name}, {args.queries} new queries, load {load_before[0]:.1f}"
          f" -> {load[0]:.1f} (1 min), {load[1]:.1f} (5 min)")  # fmt: skip
    for name in versions:
        samples = sorted(times[name])
        p50 = statistics.median(samples)
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
        ran = statements[name]
        print(f"  {name:<16} p50 {p50:8.0f} µs  p99 {p99:8.0f} µs  statements per miss:"
              f" mean {statistics.mean(ran):.2f}, max {max(ran)}")  # fmt: skip
    print(f"  messages that differ between the versions: {differ}")
    db.dispose()


if __name__ == "__main__":
    main()
