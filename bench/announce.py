"""Announcement throughput: 30 new items into 20 channels through the fake Web API's
1-post-per-second-per-channel limiter (429 + Retry-After), digest threshold off.

Prints the elapsed time of one pass, the limiter's lower bound and their ratio
(goal: at most 1.2). `python bench/announce.py [--items N] [--channels N]`;
DATABASE_URL picks the database (a temporary SQLite file by default).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.announcer import PACE_SECONDS, Announcer  # noqa: E402
from bot.deps import build_deps  # noqa: E402
from bot.settings import Settings  # noqa: E402
from domain.items import ItemDraft, fingerprint  # noqa: E402
from storage import subscriptions  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from storage.entries import add_items  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402

LIMIT_SECONDS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--channels", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        db = Database(url)
        fake = FakeSlack().start()
        fake.limit_channels(LIMIT_SECONDS)
        channels = [f"CBENCH{n:03d}" for n in range(args.channels)]
        with db.transaction() as session:
            for channel in channels:
                subscriptions.subscribe(session, channel, created_by="UADMIN")
        base = datetime(2026, 11, 1, tzinfo=UTC)
        stamp = time.time_ns()
        drafts = [
            ItemDraft(
                title=f"Bench item {n}",
                published_at=base + timedelta(minutes=n),
                origin="bench",
                fingerprint=fingerprint("bench", str(stamp), str(n)),
                category="News",
                summary="A cooperative did something worth announcing. " * 3,
            )
            for n in range(args.items)
        ]
        with db.transaction() as session:
            add_items(session, drafts)
        settings = Settings(
            bot_token="xoxb-bench",
            api_url=fake.api_url,
            database_url=url,
            digest_threshold=0,
        )
        announcer = Announcer(build_deps(settings, db))

        started = time.perf_counter()
        report = announcer.run_pass()
        elapsed = time.perf_counter() - started

        per_channel = Counter(len(fake.posted(c)) for c in channels)
        fake.stop()
        db.dispose()

    bound = (args.items - 1) * LIMIT_SECONDS
    print(f"database:              {url.split(':')[0]}")
    print(f"items x channels:      {args.items} x {args.channels}")
    print(f"messages posted:       {report.messages} (per channel: {dict(per_channel)})")
    print(f"429 answers:           {fake.rate_limited}")
    print(f"our pace:              {PACE_SECONDS:.3f} s between posts in a channel")
    print(f"elapsed (one pass):    {elapsed:.2f} s")
    print(f"limiter lower bound:   {bound:.2f} s ((items - 1) x {LIMIT_SECONDS:.0f} s)")
    print(f"ratio:                 {elapsed / bound:.3f} (goal <= 1.2)")


if __name__ == "__main__":
    main()
