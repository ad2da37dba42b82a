"""Follows' cost to an announcement pass: the worker's job (channel pass, then the
follow pass) with category-only subscriptions, without and with 100 follows.

Each run: a fresh store with an archive of ARCHIVE items, 20 category-only channel
subscriptions, then (or not) 100 people each following keyword rules, then NEW
new items and one timed job (channel pass + follow pass; some items match some
follows, so DMs are sent too), and timed idle jobs (nothing new: what every
minute costs; the median of 15). Slack is the local fake Web API, unpaced, so the figures are the
code's and the database's, not Slack's one-post-a-second pacing (which would hide
any overhead). Prints the median of `--runs` runs for each, side by side, and the
ratio; no asserts. `python bench/follows.py [--archive N] [--new N] [--runs N]`;
DATABASE_URL picks a database (a temporary SQLite file by default).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.announcer import Announcer, ChannelPacer  # noqa: E402
from bot.deps import build_deps  # noqa: E402
from bot.follow_sender import FollowSender  # noqa: E402
from bot.settings import Settings  # noqa: E402
from domain.items import ItemDraft, fingerprint  # noqa: E402
from domain.words import parse_keywords  # noqa: E402
from storage import follows, subscriptions  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from storage.entries import add_items  # noqa: E402
from storage.models import Base  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402

IDLE_JOBS = 15
BASELINE = "category-only"
SILENT = "+ follows, no match"
MATCHING = "+ follows, 30 DMs"
CATEGORIES = ["News", "Events", "COOP Champions", "Reports"]
TOPICS = ["housing", "agriculture", "credit union", "fair trade", "worker", "energy", "care"]


def drafts(count: int, start: int, stamp: str) -> list[ItemDraft]:
    base = datetime(2020, 1, 1, tzinfo=UTC)
    return [
        ItemDraft(
            title=f"Bench item {n}: {TOPICS[n % len(TOPICS)]} cooperative number {n % 100}",
            published_at=base + timedelta(hours=n),
            origin="bench",
            fingerprint=fingerprint("bench-follows", stamp, str(n)),
            category=CATEGORIES[n % len(CATEGORIES)],
            summary="A cooperative did something worth announcing. " * 3,
        )
        for n in range(start, start + count)
    ]


def clear(db: Database) -> None:
    with db.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


def one_run(db: Database, url: str, fake: FakeSlack, args, variant: str, run: int):
    clear(db)
    stamp = f"{time.time_ns()}-{run}"
    for start in range(0, args.archive, 2000):
        with db.transaction() as session:
            add_items(session, drafts(min(2000, args.archive - start), start, stamp))
    with db.transaction() as session:
        for n in range(20):
            subscriptions.subscribe(
                session, f"CBENCH{n:03d}", created_by="UADMIN", categories=[CATEGORIES[n % 4]]
            )
        if variant != BASELINE:
            for p in range(args.follows):
                # MATCHING: person p matches the new item whose number is p, one DM each
                # for the first --new people. SILENT: words no item has (pure overhead).
                number = p if variant == MATCHING else p + 1000
                rule = f'{TOPICS[p % len(TOPICS)]} fund {p}, "cooperative number {number}"'
                user = f"UBENCH{p:04d}"
                fake.add_user(user, tz="Europe/Paris")
                follows.add_follow(session, user, parse_keywords(rule))
    with db.transaction() as session:
        add_items(session, drafts(args.new, args.archive, stamp))
    settings = Settings(
        bot_token="xoxb-bench", api_url=fake.api_url, database_url=url, digest_threshold=0
    )
    deps = build_deps(settings, db)
    announcer = Announcer(deps, pacer=ChannelPacer(0.0))
    sender = FollowSender(deps, pacer=ChannelPacer(0.0))

    def job() -> tuple[float, float, int]:
        started = time.perf_counter()
        announcer.run_pass()
        middle = time.perf_counter()
        dms = sender.run_pass().messages
        ended = time.perf_counter()
        return ended - started, ended - middle, dms

    busy, follow_part, dms = job()
    # The idle job is short and noisy: the median of IDLE_JOBS of them.
    idle = statistics.median(job()[0] for _ in range(IDLE_JOBS))
    return busy, follow_part, idle, dms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archive", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=30)
    parser.add_argument("--follows", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        db = Database(url)
        fake = FakeSlack().start()
        results = {BASELINE: [], SILENT: [], MATCHING: []}
        # Interleaved, so drift (caches, other load) hits every variant alike.
        for run in range(args.runs):
            for variant in results:
                results[variant].append(one_run(db, url, fake, args, variant, run))
        fake.stop()
        db.dispose()
    backend = url.split(":", 1)[0]
    print(
        f"{backend}: archive {args.archive:,} items, {args.new} new, 20 category-only "
        f"subscriptions, {args.follows} follows; median of {args.runs} runs (unpaced fake Slack)"
    )
    print(
        f"{'':22} {'busy job (s)':>13} {'of it follows':>14} {'idle job (s)':>13} "
        f"{'follow DMs':>11} {'busy ratio':>11}"
    )
    base = statistics.median(r[0] for r in results[BASELINE])
    for label, rows in results.items():
        busy = statistics.median(r[0] for r in rows)
        part = statistics.median(r[1] for r in rows)
        idle = statistics.median(r[2] for r in rows)
        print(
            f"{label:22} {busy:13.3f} {part:14.3f} {idle:13.3f} {rows[0][3]:11d} "
            f"{busy / base:11.2f}"
        )


if __name__ == "__main__":
    main()
