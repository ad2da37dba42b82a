"""Feed parse and feed-file import of two versions of coopnews, interleaved in one run.

    cd bench && ../.venv/bin/python feed_before_after.py REV [--entries 10000] [--rounds 5]
        [--import-entries 100000] [--kinds rss atom] [--postgres]

REV (any git revision) is unpacked with `git archive` into a scratch folder ("before");
this checkout is "after". Each round runs, in fresh processes and in alternating
order, for each version:

- feed parse: feedparser.parse alone and parse_feed + feed_drafts, best of two each,
  interleaved, on the same `--entries`-entry RSS and Atom feeds (bench/ingest): wall
  and CPU seconds, our time / feedparser's (the table's "feed parse" ratio, goal
  <= 1.2), and our own part per entry, timed alone, best of five (cleaning the
  bytes, feedparser's entries to values, then to drafts: what the ratio adds to 1,
  without feedparser's run-to-run drift);
- with `--import-entries N`: `coopnews import` of an N-entry RSS or Atom file into a
  fresh store (bench/ingest.import_run's child, from that version's tree), beside the
  raw load of the same rows and feedparser alone on the same file, measured once per
  round (the table's two import ratios).

Figures, no asserts: each line is one measurement; the summary gives the median of
the rounds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import ROOT, drop_postgres, fresh_database, fresh_postgres, postgres_url
from ingest import feed_file_rows, feedparser_run, raw_load, write_feed

PARSE_CHILD = """
import sys, time
tree = sys.argv[1]
sys.path[:0] = [tree, tree + "/bench"]
import feedparser
from ingest import big_atom, big_feed
from sources.feed_items import feed_drafts
from sources.feeds import parse_feed
body = (big_feed if sys.argv[3] == "rss" else big_atom)(int(sys.argv[2]))
headers = {"content-type": "application/xml", "content-location": "https://coop.example/"}
feedparser.parse(big_feed(50))  # imports and first-call costs out of the timing
feed_drafts(parse_feed(big_feed(50), "https://coop.example/feed.xml"))
theirs, ours = [], []
for _ in range(2):  # best of two each, interleaved (the first parse also grows the heap)
    wall, cpu = time.perf_counter(), time.process_time()
    feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    theirs.append((time.perf_counter() - wall, time.process_time() - cpu))
    wall, cpu = time.perf_counter(), time.process_time()
    feed_drafts(parse_feed(body, "https://coop.example/feed.xml"))
    ours.append((time.perf_counter() - wall, time.process_time() - cpu))
theirs = (min(w for w, _ in theirs), min(c for _, c in theirs))
ours = (min(w for w, _ in ours), min(c for _, c in ours))
# Our own part alone, timed directly (best of five): the cleaning of the bytes, then
# feedparser's entries to FeedEntry values (sources.feeds._entry), then to drafts.
from sources import feeds
from sources.feed_bytes import clean_feed

parsed = feedparser.parse(
    clean_feed(body, ""), response_headers=headers, sanitize_html=False,
    resolve_relative_uris=False,
)
own_times = []
for _ in range(5):
    wall, cpu = time.perf_counter(), time.process_time()
    clean_feed(body, "")
    entries = [feeds._entry(raw, "https://coop.example/feed.xml") for raw in parsed.entries]
    feed_drafts(feeds.ParsedFeed("rss", "rss20", None, None, entries))
    own_times.append((time.perf_counter() - wall, time.process_time() - cpu))
own = (min(w for w, _ in own_times), min(c for _, c in own_times))
print(*theirs, *ours, *own)
"""


def unpack(revision: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def parse_times(tree: Path, entries: int, kind: str) -> tuple[float, ...]:
    """(feedparser wall, feedparser CPU, ours wall, ours CPU, our own part wall, CPU)
    seconds, in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", PARSE_CHILD, str(tree), str(entries), kind],
        cwd=tree, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return tuple(float(x) for x in done.stdout.split())


def import_seconds(tree: Path, url: str, feed_file: Path) -> float:
    """`coopnews import FILE` by `tree`'s code (its bench/ingest.py child): seconds."""
    env = dict(os.environ, DATABASE_URL=url)
    command = [sys.executable, str(tree / "bench" / "ingest.py"), "--import-child", str(feed_file)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"import failed: {done.stderr[-2000:]}")
    seconds, _peak, line = done.stdout.strip().splitlines()[-1].split(" ", 2)
    if not line.startswith("added "):
        raise RuntimeError(line)
    return float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("revision")
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--import-entries", type=int, default=0)
    parser.add_argument("--kinds", nargs="*", default=["rss", "atom"], choices=["rss", "atom"])
    parser.add_argument("--postgres", nargs="?", const="", default=None, help="server URL")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="coopnews-feed-before-after-"))
    trees = {"before": unpack(args.revision, scratch), "after": ROOT}
    server = postgres_url(args.postgres or None) if args.postgres is not None else None
    ratios: dict[str, list[float]] = {}

    def note(name: str, value: float) -> None:
        ratios.setdefault(name, []).append(value)

    try:
        files = {}
        for kind in args.kinds if args.import_entries else []:
            path = write_feed(scratch / f"{kind}-{args.import_entries}.xml", args.import_entries, kind)
            files[kind] = (path, *feed_file_rows(path))
        for round_ in range(args.rounds):
            order = ["before", "after"] if round_ % 2 == 0 else ["after", "before"]
            for kind in args.kinds:
                for name in order:
                    times = parse_times(trees[name], args.entries, kind)
                    fp_wall, fp_cpu, ours_wall, ours_cpu, own_wall, own_cpu = times
                    print(
                        f"round {round_ + 1} {name:6s} {kind} parse of {args.entries:,}: "
                        f"feedparser {fp_wall:.2f} s (CPU {fp_cpu:.2f}), ours {ours_wall:.2f} s "
                        f"(CPU {ours_cpu:.2f}), ratio {ours_wall / fp_wall:.3f} (CPU "
                        f"{ours_cpu / fp_cpu:.3f}); our own part {own_wall / args.entries * 1e6:.0f}"
                        f" us/entry (CPU {own_cpu / args.entries * 1e6:.0f}), feedparser + own "
                        f"part / feedparser {(fp_cpu + own_cpu) / fp_cpu:.3f} (CPU)",
                        flush=True,
                    )
                    note(f"{name} {kind} parse ratio", ours_wall / fp_wall)
                    note(f"{name} {kind} parse ratio (CPU)", ours_cpu / fp_cpu)
                    note(f"{name} {kind} own part us/entry (CPU)", own_cpu / args.entries * 1e6)
                    note(f"{name} {kind} (feedparser + own part) / feedparser (CPU)",
                         (fp_cpu + own_cpu) / fp_cpu)  # fmt: skip
            for kind, (path, items, keys) in files.items():

                def fresh() -> str:
                    return fresh_postgres(server) if server else fresh_database(None)[0]

                def drop(url: str) -> None:
                    if server:
                        drop_postgres(server, url)

                url = fresh()
                raw = raw_load(url, items, keys)
                drop(url)
                alone = feedparser_run(path)
                for name in order:
                    url = fresh()
                    seconds = import_seconds(trees[name], url, path)
                    drop(url)
                    fair = alone + raw
                    print(
                        f"round {round_ + 1} {name:6s} import of {args.import_entries:,} {kind}: "
                        f"{seconds:.1f} s; raw load {raw:.1f} s (ratio {raw / seconds:.2f}); "
                        f"feedparser alone + raw {fair:.1f} s (ratio {fair / seconds:.2f})",
                        flush=True,
                    )
                    note(f"{name} {kind} import ratio to raw", raw / seconds)
                    note(f"{name} {kind} import ratio to feedparser + raw", fair / seconds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nmedians of {args.rounds} rounds (load average {os.getloadavg()[0]:.1f}):")
    for name, values in ratios.items():
        print(f"  {name:45s} {statistics.median(values):.3f}")


if __name__ == "__main__":
    main()
