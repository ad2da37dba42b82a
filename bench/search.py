"""How fast are `/coopnews search` and `/coopnews latest 10 <category>` on a big archive?

One run: for 10,000, 100,000 and 1,000,000 items, the Procfile's web process
(gunicorn) answers signed slash commands over HTTP, against the fake Web API,
beside a bare Bolt app that only acks (same gunicorn config). Prints p50 and
p99 per command and the ratios to the bare app. No asserts: figures.

    .venv/bin/python bench/search.py            # SQLite, sizes 10k 100k 1M
    .venv/bin/python bench/search.py --sizes 10000 100000 --requests 200

The archive is filled with SQLAlchemy Core executemany, 50,000 rows per
transaction, through the same triggers that index every write (no
shortcut: the fill rate printed is what a big import would see).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.db import Database, upgrade  # noqa: E402
from storage.models import Item  # noqa: E402
from storage.store import category_key  # noqa: E402
from tests.conftest import (  # noqa: E402
    SIGNING_SECRET,
    RunningProcess,
    app_environment,
    free_port,
    procfile_command,
    wait_healthy,
)
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.slack_requests import SlackSender  # noqa: E402

BARE_COMMAND = "gunicorn --config python:bot.gunicorn_conf 'bench.bare_app:create_wsgi()'"
BATCH = 50_000
POOL = 50_000

# Words people search for, at several frequencies, plus generated filler.
TOPICS = [
    "cooperative",
    "cooperatives",
    "housing",
    "agriculture",
    "credit",
    "union",
    "workers",
    "solidarity",
    "economy",
    "social",
    "women",
    "youth",
    "finance",
    "energy",
    "renewable",
    "fair",
    "trade",
    "dairy",
    "coffee",
    "fisheries",
    "health",
    "insurance",
    "platform",
    "digital",
    "education",
    "climate",
    "refugees",
    "informal",
    "employment",
    "Agtaş",
    "économie",
    "sociale",
    "Genève",
    "São",
    "Paulo",
    "Kenya",
    "India",
    "Brazil",
    "Turkey",
]
CATEGORIES = [
    "News",
    "COOP Champions",
    "Statements",
    "Events",
    "Publications",
    "Projects",
    "Feature stories",
    "Press releases",
    "Videos",
    "Podcasts",
    "Interviews",
    "Opinion",
    "Training",
    "Research",
    "Policy",
    "Reports",
    "Campaigns",
    "Awards",
    "Jobs",
    "Calls",
]
SEARCHES = [
    "cooperative",  # very common (prefix: cooperatives too)
    "housing",  # common
    "Agtas",  # accent-insensitive, medium
    '"social economy"',  # phrase
    "women coffee Kenya",  # three words, rare together
    "renewable energy",  # two words
    "zzqx",  # no hits
    "économie sociale",  # accents
]


def filler_words(rng: random.Random, count: int) -> list[str]:
    letters = "abcdefghijklmnoprstuvy"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(count)]


class Generator:
    """Titles and summaries with a Zipf-like word distribution."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.vocabulary = (
            TOPICS + ["of", "the", "and", "in", "for"] + filler_words(self.rng, 20_000)
        )
        weights = [1 / (rank + 8) for rank in range(len(self.vocabulary))]
        total = 0.0
        self.cumulative = []
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.category_weights = [1 / (rank + 1) for rank in range(len(CATEGORIES))]
        self.start = datetime(2015, 1, 1, tzinfo=UTC)
        # Drawing words is the slow part: draw pools once, combine them per row.
        self.titles = [self.words(self.rng.randint(5, 11)).capitalize() for _ in range(POOL)]
        self.summaries = [self.words(self.rng.randint(20, 45)) for _ in range(POOL)]

    def words(self, count: int) -> str:
        return " ".join(self.rng.choices(self.vocabulary, cum_weights=self.cumulative, k=count))

    def row(self, number: int) -> dict:
        rng = self.rng
        category = rng.choices(CATEGORIES, weights=self.category_weights)[0]
        published = self.start + timedelta(minutes=rng.randrange(6_000_000))
        return {
            "title": self.titles[rng.randrange(POOL)],
            "url": f"https://news.example/{number}",
            "category": category,
            "category_key": category_key(category),
            "summary": self.summaries[rng.randrange(POOL)],
            "published_at": published,
            "origin": "bench",
            "fingerprint": f"bench-{number:012d}",
            "created_at": published,
            "updated_at": published,
            "announce": False,
        }


def fill(db: Database, generator: Generator, have: int, want: int) -> None:
    """Core executemany in 50,000-row transactions; the FTS triggers index each row."""
    started = time.perf_counter()
    number = have
    while number < want:
        rows = [generator.row(n) for n in range(number, min(want, number + BATCH))]
        with db.engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                # A bigger page cache for the load: random dates touch the whole index.
                connection.exec_driver_sql("PRAGMA cache_size=-262144")
            connection.execute(insert(Item.__table__), rows)
        number += len(rows)
    seconds = time.perf_counter() - started
    added = want - have
    print(f"  filled {added:,} items in {seconds:.1f}s ({added / seconds:,.0f} rows/s, indexed)")


def measure(sender: SlackSender, texts: list[str], rounds: int) -> list[float]:
    """Milliseconds per signed request, sequential, each answer checked."""
    for text in texts:  # warm up connections and caches
        sender.command(text).raise_for_status()
    timings = []
    for number in range(rounds):
        text = texts[number % len(texts)]
        started = time.perf_counter()
        response = sender.command(text)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{text!r}: HTTP {response.status_code}: {response.text[:200]}")
    return timings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def start(command: str, env: dict, log_dir: Path, name: str) -> RunningProcess:
    port = free_port()
    process = RunningProcess(command, dict(env, PORT=str(port)), log_dir / f"{name}.log")
    process.url = f"http://127.0.0.1:{port}"
    wait_healthy_or_bare(process)
    return process


def wait_healthy_or_bare(process: RunningProcess, timeout: float = 60) -> None:
    if "bare_app" not in " ".join(process.proc.args):
        wait_healthy(process.url, process, timeout)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.post(process.url + "/slack/events", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit(f"the bare app did not start:\n{process.log()}")


def row(name: str, timings: list[float], bare: list[float] | None) -> str:
    p50, p99 = percentile(timings, 50), percentile(timings, 99)
    line = f"  {name:<34} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"
    if bare:
        line += (
            f"   x{p50 / percentile(bare, 50):4.1f} p50   x{p99 / percentile(bare, 99):4.1f} p99"
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=400, help="per command and size")
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp dir")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, logs)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="coopnews-bench-"))
    url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    upgrade(url)
    db = Database(url)
    fake = FakeSlack().start()
    env = app_environment(url, fake)
    env.pop("WEB_CONCURRENCY")  # the Procfile's defaults, as in production
    generator = Generator()
    print(f"database: {db.engine.url.get_backend_name()}; {os.cpu_count()} CPUs")
    print(f"web: {procfile_command('web')}")
    print(f"{args.requests} sequential signed requests per line\n")
    bare = start(BARE_COMMAND, env, work, "bare")
    try:
        have = 0
        for size in args.sizes:
            print(f"{size:,} items")
            fill(db, generator, have, size)
            have = size
            web = start(procfile_command("web"), env, work, f"web-{size}")
            try:
                bare_sender = SlackSender(bare.url, SIGNING_SECRET, fake.response_url())
                sender = SlackSender(web.url, SIGNING_SECRET, fake.response_url())
                bare_timings = measure(bare_sender, ["search housing"], args.requests)
                per_query = {
                    text: measure(sender, [f"search {text}"], args.requests // len(SEARCHES))
                    for text in SEARCHES
                }
                search_timings = [ms for timings in per_query.values() for ms in timings]
                latest_timings = measure(
                    sender, [f"latest 10 {c}" for c in CATEGORIES[:8]], args.requests
                )
            finally:
                web.stop()
            print(row("bare Bolt app (ack only)", bare_timings, None))
            print(row("/coopnews search (8 queries)", search_timings, bare_timings))
            print(row("/coopnews latest 10 <category>", latest_timings, bare_timings))
            for text, timings in per_query.items():
                print(row(f"    search {text}", timings, None))
            print()
    finally:
        bare.stop()
        fake.stop()
        db.dispose()
    if args.keep:
        print(f"data kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
