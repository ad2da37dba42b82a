"""New search queries (answer-cache misses) by match band, this checkout's storage/search.py
beside another revision's, alternately, on one filled database.

    cd bench && ../.venv/bin/python search_bands.py URL [--before REV] [--queries 300]

URL is a database filled by bench/search.py's generator (bench/serving.py --keep, or
any archive) and upgraded to this checkout's migrations. REV's storage/search.py is
loaded beside this one (default: main); its plans must still run on the upgraded
schema. Queries are bench/serving.py's NewSearches (one to three topic words),
each timed once by each version in turn (which goes first alternates), in this
process: storage.search.search for a first page of 10, no HTTP. Each query is put
in a band by the planner statistics' guess of its larger group's matches
(pg_stats, as storage/search.py reads them): below 2,000, 2,000-20,000 (the middle
band), 20,000 and more. Prints p50 / p99 per band and version, and the load.
Then `--clients` threads search at once (new queries again), each version in
turn, and the queries per second. Figures, no asserts.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import ROOT, summary
from serving import NewSearches

from storage import search
from storage.db import Database


def load_revision(revision: str):
    source = subprocess.run(
        ["git", "show", f"{revision}:storage/search.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="coopnews-search-")) / "search_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("search_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["search_before"] = module
    spec.loader.exec_module(module)
    return module


def band(session, text: str) -> str:
    query = search._unaccented(session, search.parse_query(text))
    stats = search._lexeme_stats(session)
    title = search._share(query, stats.title)
    rest = max(0.0, search._share(query, stats.document) - title)
    expected = max(title, rest) * stats.rows
    if expected < 2_000:
        return "< 2,000"
    return "2,000-20,000" if expected < 20_000 else ">= 20,000"


def timed(db: Database, module, text: str) -> float:
    with db.reading() as session:
        started = time.perf_counter()
        module.search(session, module.parse_query(text), 10, 0)
        return (time.perf_counter() - started) * 1000


def rate(db: Database, module, texts: list[str], clients: int) -> float:
    chunks = [texts[n::clients] for n in range(clients)]

    def run(chunk: list[str]) -> None:
        for text in chunk:
            timed(db, module, text)

    threads = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--before", default="main")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="of the concurrent run")
    args = parser.parse_args()
    before = load_revision(args.before)
    versions = {f"before ({args.before})": before, "after (this checkout)": search}
    db = Database(args.url, pool_size=args.clients + 2)
    new = NewSearches(seed=23)
    texts = [t.removeprefix("search ") for t in new.take(args.queries)]
    for text in new.take(10):  # warm both (caches of statistics, folded words)
        for module in versions.values():
            timed(db, module, text.removeprefix("search "))
    times: dict[tuple[str, str], list[float]] = {}
    with db.reading() as session:
        bands = {text: band(session, text) for text in texts}
    for number, text in enumerate(texts):
        order = list(versions.items())
        if number % 2:
            order.reverse()
        for name, module in order:
            times.setdefault((name, bands[text]), []).append(timed(db, module, text))
            times.setdefault((name, "all"), []).append(times[(name, bands[text])][-1])
    load = os.getloadavg()
    print(f"{db.engine.dialect.name}, load {load[0]:.1f} / {load[1]:.1f} (1 / 5 min)")
    for group in ("< 2,000", "2,000-20,000", ">= 20,000", "all"):
        for name in versions:
            samples = times.get((name, group), [])
            if samples:
                p50, p99 = summary(samples)
                print(
                    f"  {group:>13} matches  {name:<24} n={len(samples):<4}"
                    f" p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
                )
    for round_number in range(args.rounds):
        for name, module in versions.items():
            texts = [t.removeprefix("search ") for t in new.take(args.clients * 10)]
            per_second = rate(db, module, texts, args.clients)
            print(f"  {args.clients} threads, round {round_number + 1}: {name:<24} {per_second:6.1f} q/s")
    load = os.getloadavg()
    print(f"load {load[0]:.1f} / {load[1]:.1f} (1 / 5 min)")
    db.dispose()


if __name__ == "__main__":
    main()
