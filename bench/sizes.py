"""Does a cache hit cost more on a bigger archive? The same code served on stores of
different sizes, beside the bare app, interleaved and repeated, so a difference between
sizes can be told from the machine's drift.

    cd bench && ../.venv/bin/python sizes.py URL_A URL_B [--repeats 5] [--requests 100]
        [--clients]

Each URL is a store filled beforehand (bench/search.py's generator: `serving.py
--database-url URL --sizes N` fills one and keeps it; it is not written here, except
by the App Home claims). One Procfile web process per store and one bare app (bench/bare_app.py),
same gunicorn settings. Each repeat runs, in turn for the bare app and each store,
`--requests` sequential `latest`, `search` (eight repeated queries: hits) and
`categories`; with `--clients`, also `latest` with 20 clients (requests per second,
the bare app's ack the same way). Prints per repeat the p50 of each and its ratio to
that repeat's bare ack p50, then the median over repeats. Figures, no asserts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from harness import FakeSlack, start_bare, start_web, summary, throughput, time_commands
from serving import LATESTS, SEARCH_TEXTS
from sqlalchemy import func, select

from storage.db import Database
from storage.models import Item

KINDS = {"latest": LATESTS, "search": SEARCH_TEXTS, "categories": ["categories"]}


def size_of(url: str) -> int:
    db = Database(url)
    try:
        with db.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Item))
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("urls", nargs="+", help="filled stores (kept ones)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--requests", type=int, default=100, help="sequential, per kind")
    parser.add_argument("--clients", action="store_true", help="also 20 clients, `latest`")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="coopnews-bench-sizes-"))
    names = {url: f"{size_of(url):,}" for url in args.urls}
    fake = FakeSlack().start()
    fake.add_user("UMEMBER")
    webs, bare = {}, None
    ratios: dict[str, list[float]] = {}
    try:
        for number, url in enumerate(args.urls):
            (work / str(number)).mkdir()
            webs[url] = start_web(url, fake, work / str(number))
        bare = start_bare(args.urls[0], fake, work)
        for repeat in range(args.repeats):
            bare_ms = time_commands(bare.url, fake, ["latest"], args.requests)
            base = summary(bare_ms)[0]
            line = [f"repeat {repeat + 1}: bare ack p50 {base:.2f} ms"]
            rates = {}
            if args.clients:
                rates["bare"] = throughput(bare.url, fake, ["latest"], args.requests * 4)[0]
            for url, web in webs.items():
                for kind, texts in KINDS.items():
                    p50 = summary(time_commands(web.url, fake, texts, args.requests))[0]
                    ratios.setdefault(f"{names[url]} {kind} p50 (x bare)", []).append(p50 / base)
                    line.append(f"{names[url]} {kind} {p50:.2f} ({p50 / base:.2f})")
                if args.clients:
                    rate = throughput(web.url, fake, LATESTS, args.requests * 4)[0]
                    ratios.setdefault(f"{names[url]} latest, 20 clients (x bare req/s)", []).append(
                        rate / rates["bare"]
                    )
                    line.append(f"{names[url]} 20 clients {rate:.0f}/{rates['bare']:.0f} req/s")
            print("; ".join(line), flush=True)
            fake.reset()
            fake.add_user("UMEMBER")
    finally:
        for proc in [*webs.values(), *([bare] if bare else [])]:
            proc.stop()
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)
    print()
    for name, values in ratios.items():
        shown = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:48s} median {statistics.median(values):.2f}  (each: {shown})")
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} / {load[1]:.1f} (1 / 5 min)")


if __name__ == "__main__":
    main()
