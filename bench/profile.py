"""Where a gunicorn worker's time goes with 20 concurrent clients (py-spy, a dev tool).

    cd bench && ../.venv/bin/python profile.py [--items 10000] [--seconds 10] [--gil]

Fills a fresh SQLite archive, starts the Procfile's web process, drives `latest`
and `search` from 20 clients while py-spy samples every worker, then prints the
frames holding the most samples (self) and our own functions (inclusive).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from harness import FakeSlack, fresh_database, start_web, throughput
from search import SEARCHES, Generator, fill

from storage.db import Database

PY_SPY = Path(sys.executable).with_name("py-spy")


def read_raw(path: Path) -> tuple[Counter, Counter, int]:
    """py-spy's raw (collapsed) stacks: self and inclusive samples per frame."""
    own, inclusive, total = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, n = stack.split(";"), int(count)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    return own, inclusive, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--gil",
        action="store_true",
        help="sample only the thread holding the GIL: where the CPU goes, without the "
        "threads that sleep (waiting for a request, for the pool, for ack())",
    )
    args = parser.parse_args()
    url, work = fresh_database(None)
    db = Database(url)
    fill(db, Generator(), 0, args.items)
    db.dispose()
    fake = FakeSlack().start()
    fake.add_user("UMEMBER")
    web = start_web(url, fake, work)
    texts = ["latest", "latest 10 News"] + [f"search {q}" for q in SEARCHES]
    try:
        throughput(web.url, fake, texts, 100)  # warm
        pid = web.proc.pid
        workers = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        spies = [
            subprocess.Popen(
                [str(PY_SPY), "record", "-p", worker, "-d", str(args.seconds), "-r", "50",
                 "-f", "raw", "-o", str(work / f"profile-{worker}.txt")]
                + (["--gil"] if args.gil else []),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            for worker in workers
        ]
        time.sleep(1)
        started = time.monotonic()
        while time.monotonic() - started < args.seconds:
            rate, failed = throughput(web.url, fake, texts, 200)
            print(f"{rate:.0f} req/s, {failed} failed")
        for spy in spies:
            spy.wait()
    finally:
        web.stop()
        fake.stop()
    own, inclusive, total = Counter(), Counter(), 0
    for path in work.glob("profile-*.txt"):
        o, i, t = read_raw(path)
        own, inclusive, total = own + o, inclusive + i, total + t
    print(f"\n{total} samples; most self time:")
    for frame, n in own.most_common(12):
        print(f"  {n / total:6.1%}  {frame[:140]}")
    print("\nour code and the request path, inclusive:")
    for frame, n in inclusive.most_common(200):
        if any(part in frame for part in ("bot/", "storage/", "slack_bolt/app", "gthread")):
            print(f"  {n / total:6.1%}  {frame[:140]}")


if __name__ == "__main__":
    main()
