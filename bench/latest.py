"""Bench: `/coopnews latest` over HTTP at 100,000 items beside a bare Bolt app,
and import throughput of a 100,000-entry ILO listing.

    .venv/bin/python bench/latest.py [--items 100000] [--requests 400] [--database-url URL]

Prints figures; asserts nothing. Goals: p50 ratio <= 1.5, p99 < 100 ms, import >= 20,000 items/s.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

from harness import FakeSlack, fresh_database, start_bare, start_web, summary, time_commands

from sources.importer import import_listing_text
from storage.db import Database

CATEGORIES = ["News", "COOP Champions", "Article", "Decent work", "Spotlight Interviews"]


def listing(n: int) -> str:
    """A synthetic ILO listing page of n entries, newest first."""
    start = date(2026, 11, 1)
    parts = ["News, stories and statements on cooperatives\n"]
    for i in range(n):
        day = start - timedelta(days=i // 40)
        parts.append(
            f"  {i + 1}. {CATEGORIES[i % len(CATEGORIES)]}\n\n"
            f"    Cooperative story number {i} about workers and members\n\n"
            f"    {day.day:02d} {day:%B} {day.year}\n\n"
            f"    A summary for story {i}: cooperatives and the social and solidarity economy "
            "build decent work in many regions of the world.\n"
        )
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    url, workdir = fresh_database(args.database_url)
    db = Database(url)

    text = listing(args.items)
    started = time.perf_counter()
    summary_line = import_listing_text(db, text)
    elapsed = time.perf_counter() - started
    print(
        f"import: {args.items:,} entries in {elapsed:.2f} s = "
        f"{args.items / elapsed:,.0f} items/s ({summary_line.line()})"
    )
    db.dispose()

    fake = FakeSlack().start()
    fake.add_user("UMEMBER")
    web = bare = None
    try:
        web = start_web(url, fake, workdir)
        bare = start_bare(url, fake, workdir)
        texts = ["latest", "latest 10", "latest 5 news", "latest 20", "latest Decent work"]
        # Interleave rounds so drift in machine load hits both alike.
        app_samples, bare_samples = [], []
        for _ in range(4):
            app_samples += time_commands(web.url, fake, texts, args.requests // 4)
            bare_samples += time_commands(bare.url, fake, ["latest"], args.requests // 4)
    finally:
        for proc in (web, bare):
            if proc is not None:
                proc.stop()
        fake.stop()
    app_p50, app_p99 = summary(app_samples)
    bare_p50, bare_p99 = summary(bare_samples)
    print(f"/coopnews latest over HTTP at {args.items:,} items, {len(app_samples)} requests:")
    print(f"  coopnews  p50 {app_p50:6.2f} ms   p99 {app_p99:6.2f} ms")
    print(f"  bare Bolt p50 {bare_p50:6.2f} ms   p99 {bare_p99:6.2f} ms")
    print(f"  ratio     p50 {app_p50 / bare_p50:6.2f}      p99 {app_p99 / bare_p99:6.2f}")


if __name__ == "__main__":
    main()
