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
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import FakeSlack, start_bare, start_web, summary, time_commands
from sqlalchemy import insert

from storage import search
from storage.categories import category_key
from storage.db import Database, upgrade
from storage.models import Item

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
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does soon after a big load: planner statistics, and
        # the GIN pending lists merged into the indexes.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE items, items_search")
    seconds = time.perf_counter() - started
    added = want - have
    print(f"  filled {added:,} items in {seconds:.1f}s ({added / seconds:,.0f} rows/s, indexed)")


def store_times(db: Database, texts: list[str], rounds: int) -> list[float]:
    """Milliseconds per storage.search.search call in this process: our own cost,
    without HTTP, signature checks or Bolt's wait for ack() (it polls every 10 ms)."""
    samples = []
    with db.reading() as session:
        for number in range(rounds):
            query = search.parse_query(texts[number % len(texts)])
            started = time.perf_counter()
            search.search(session, query)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def line(name: str, samples: list[float], bare: list[float] | None = None) -> str:
    p50, p99 = summary(samples)
    text = f"  {name:<44} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms"
    if bare:
        bare_p50, bare_p99 = summary(bare)
        text += f"   ratio p50 {p50 / bare_p50:4.2f}  p99 {p99 / bare_p99:4.2f}"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=400, help="per command and size")
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp dir")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, logs)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="coopnews-bench-search-"))
    url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    upgrade(url)
    db = Database(url)
    fake = FakeSlack().start()
    fake.add_user("UMEMBER")
    generator = Generator()
    searches = [f"search {text}" for text in SEARCHES]
    latests = [f"latest 10 {category}" for category in CATEGORIES[:8]]
    rounds = args.requests // 4
    print(f"{db.engine.url.get_backend_name()}, {os.cpu_count()} CPUs; sequential signed requests")
    have = 0
    try:
        for size in args.sizes:
            print(f"\n{size:,} items")
            fill(db, generator, have, size)
            have = size
            web = start_web(url, fake, work)
            bare = start_bare(url, fake, work)
            try:
                bare_ms, search_ms, latest_ms = [], [], []
                # Interleaved rounds, so drift in machine load hits all alike.
                for _ in range(4):
                    bare_ms += time_commands(bare.url, fake, ["latest"], rounds)
                    search_ms += time_commands(web.url, fake, searches, rounds)
                    latest_ms += time_commands(web.url, fake, latests, rounds)
                per_query = {text: time_commands(web.url, fake, [text], 50) for text in searches}
            finally:
                web.stop()
                bare.stop()
            print(line("bare Bolt app (ack only)", bare_ms))
            print(line("/coopnews search (8 queries)", search_ms, bare_ms))
            print(line("/coopnews latest 10 <category>", latest_ms, bare_ms))
            for text, samples in per_query.items():
                print(line(f"  /coopnews {text}", samples))
            print(line("storage.search.search in-process", store_times(db, SEARCHES, 400)))
    finally:
        fake.stop()
        db.dispose()
        if args.keep:
            print(f"data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
