"""Announcement passes: throughput, and what channel rules cost.

1. Throughput: 30 new items into 20 channels through the fake Web API's
   1-post-per-second-per-channel limiter (429 + Retry-After), digest threshold
   off. Prints the elapsed time of one pass, the limiter's lower bound and
   their ratio (goal: at most 1.2).
2. Rules (issue 13): 1,000 subscriptions with keyword rules (`matching`,
   `excluding`) and 100 personal follows against 1,000 category-only
   subscriptions and no follows, each pass planning
   and posting the same items to the same number of channels (the keyword
   rules let through what the category does), no pacing (our own cost, not
   Slack's limit). Prints both passes and the ratio beside each other, from
   the same run (goal: at most 1.10). No asserts.

`python bench/announce.py [--items N] [--channels N] [--rule-channels N]
[--rule-items N] [--only throughput|rules]`; DATABASE_URL picks the database
(a temporary SQLite file by default).
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
from statistics import median

from sqlalchemy import delete

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.announcer import PACE_SECONDS, Announcer, ChannelPacer  # noqa: E402
from bot.deps import build_deps  # noqa: E402
from bot.follow_sender import FollowSender  # noqa: E402
from bot.settings import Settings  # noqa: E402
from domain.items import ItemDraft, fingerprint  # noqa: E402
from domain.words import parse_keywords  # noqa: E402
from storage import deliveries, follows, subscriptions  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from storage.entries import add_items  # noqa: E402
from storage.models import Follow  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402

LIMIT_SECONDS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--rule-channels", type=int, default=1000)
    parser.add_argument("--rule-items", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--follows", type=int, default=100)
    parser.add_argument("--only", choices=["throughput", "rules"])
    args = parser.parse_args()
    if args.only != "rules":
        throughput(args)
    if args.only != "throughput":
        rules(args)


def throughput(args) -> None:
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



# -- 2. what channel rules cost --------------------------------------------------------
# The keyword rules each of the 1,000 channels gets (every bench item matches
# "cooperative" and none has "layoffs", so both setups post the same messages).
KEYWORD_RULES = [
    ('cooperative, "social economy", housing', "layoffs, scandal"),
    ('"worker owned", cooperative, credit union', "closure"),
    ("cooperatives, fair trade, agriculture", '"hostile takeover"'),
]


def rules(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/rules.db"
        upgrade(url)
        db = Database(url)
        fake = FakeSlack().start()
        settings = Settings(
            bot_token="xoxb-bench", api_url=fake.api_url, database_url=url, digest_threshold=0
        )
        # 8 channels at once: the fake Web API (one thread per connection, a short
        # listen backlog) resets connections under 32.
        deps = build_deps(settings, db)
        announcer = Announcer(deps, pacer=ChannelPacer(0.0), max_parallel=8)
        sender = FollowSender(deps, pacer=ChannelPacer(0.0))
        kinds = ["category-only", "keyword rules"]
        planning: dict[str, list[float]] = {kind: [] for kind in kinds}
        timings: dict[str, list[float]] = {kind: [] for kind in kinds}
        posted: dict[str, str] = {}
        for round_no in range(args.rounds):
            # Alternate which goes first: the machine's drift and the growing
            # deliveries table hit both.
            for kind in kinds if round_no % 2 == 0 else kinds[::-1]:
                prefix = f"C{'K' if kind == 'keyword rules' else 'A'}{round_no}"
                channels = [f"{prefix}{n:05d}" for n in range(args.rule_channels)]
                with db.transaction() as session:
                    for n, channel in enumerate(channels):
                        columns = None
                        if kind == "keyword rules":
                            # Each channel's own rule (no two alike, nothing to share).
                            matching, excluding = KEYWORD_RULES[n % len(KEYWORD_RULES)]
                            columns = subscriptions.RuleColumns(
                                matching=f"{matching}, topic{n}", excluding=f"{excluding}, x{n}"
                            )
                        subscriptions.subscribe(
                            session, channel, created_by="UADMIN", categories=["News"], rules=columns
                        )
                    if kind == "keyword rules":
                        # 100 personal follows (issue 13), judged by the same job.
                        # Words no bench item has: what judging costs, not the DMs'
                        # own cost (bench/follows.py measures that).
                        for p in range(args.follows):
                            rule = f'{KEYWORD_RULES[p % len(KEYWORD_RULES)][1]}, "person {p}"'
                            follows.add_follow(session, f"UBENCH{p:04d}", parse_keywords(rule))
                add_bench_items(db, args.rule_items, f"{kind}-{round_no}")
                started = time.perf_counter()
                with db.transaction() as session:  # what rules cost: judging the new items
                    deliveries.plan_deliveries(session)
                planned = time.perf_counter()
                report = announcer.run_pass()
                sender.run_pass()  # as the worker's job does, after the channel pass
                done = time.perf_counter()
                planning[kind].append(planned - started)
                timings[kind].append(done - started)
                posted[kind] = f"{report.messages} posted, {report.released} left"
                with db.transaction() as session:  # the next setup starts with no channel
                    for channel in channels:
                        subscriptions.unsubscribe(session, channel)
                    session.execute(delete(Follow))
        fake.stop()
        db.dispose()
    print()
    print(f"database:                      {url.split(':')[0]}")
    print(f"subscriptions x new items:     {args.rule_channels} x {args.rule_items}")
    print(f"follows (keyword setup only):  {args.follows}")
    print(f"messages per pass:             {posted}")
    for label, figures in (("planning", planning), ("whole pass", timings)):
        for kind, values in figures.items():
            shown = ", ".join(f"{v:.2f}" for v in values)
            print(
                f"{kind + ' ' + label + ' (s):':<42}{shown} "
                f"(best {min(values):.2f}, median {median(values):.2f})"
            )
        # Best of each: the run least disturbed by other load on the machine.
        ratio = min(figures["keyword rules"]) / min(figures["category-only"])
        spread = median(figures["keyword rules"]) / median(figures["category-only"])
        print(
            f"{label + ' ratio keyword / category-only:':<42}{ratio:.3f} best, "
            f"{spread:.3f} median (goal <= 1.10)"
        )


def add_bench_items(db, count: int, tag: str) -> None:
    base = datetime(2026, 11, 1, tzinfo=UTC)
    drafts = [
        ItemDraft(
            title=f"Cooperative news {tag} {n}",
            published_at=base + timedelta(minutes=n),
            origin="bench",
            fingerprint=fingerprint("rules-bench", tag, str(time.time_ns()), str(n)),
            category="News",
            summary="A worker cooperative in the social economy opened a new housing project. "
            * 3,
        )
        for n in range(count)
    ]
    with db.transaction() as session:
        add_items(session, drafts)


if __name__ == "__main__":
    main()
