"""CPU per served request (an answer-cache hit) in process, beside the bare app's.

    cd bench && ../.venv/bin/python hit_cost.py [--items 2000] [--requests 2000]
        [--postgres [URL]] [--profile latest]

Builds coopnews as the tests do (bot.web.WebApp around bot.app.build_app, the real
listener pool and ack hand-off) and the bare app (bench/bare_app.py) in this one
process, fills a small fresh archive (a hit does not read the items), then calls each
WSGI callable one request at a time, interleaved in rounds: `latest`, `latest 10 News`,
`search` (eight repeated queries: hits after the first round) and `categories`, and the
bare app's ack. The figure is CPU time (time.process_time: this process, all threads)
per request, median over rounds, so other sessions' load moves it far less than wall
time; with PostgreSQL the server's own CPU is not in it (its round trips are, as wait).

No gunicorn: its HTTP parsing and writing are the same for both apps.
`--profile KIND` prints cProfile's top functions for one kind (cumulative).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from harness import SIGNING_SECRET, FakeSlack, drop_postgres, fresh_database, fresh_postgres
from harness import postgres_url as server_url
from search import SEARCHES, Generator, fill
from stages import command_environ

from storage.db import SERVING_PAGE_CACHE_KIB, Database
from tests.conftest import app_environment

ROUNDS = 10


def print_profile(run) -> None:
    """cProfile's top functions for `run()` (bench/profile.py shadows the standard
    library's `profile`, which cProfile imports: bench/ leaves sys.path meanwhile)."""
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(__file__)]
    try:
        import cProfile
        import pstats
    finally:
        sys.path[:] = saved
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def build(url: str, fake: FakeSlack):
    from bot.app import build_app
    from bot.deps import build_deps
    from bot.settings import load_settings
    from bot.web import WebApp

    settings = load_settings(app_environment(url, fake))
    db = Database(url, page_cache_kib=SERVING_PAGE_CACHE_KIB)
    deps = build_deps(settings, db)
    try:
        app = build_app(deps, signatures_checked_before=True)  # as bot.web.build_web does
    except TypeError:  # an older checkout (copied there to compare): Bolt checks too
        app = build_app(deps)
    return WebApp(app, db, settings.signing_secret or ""), db


def build_bare(url: str, fake: FakeSlack):
    import bare_app

    os.environ.update(app_environment(url, fake))
    os.environ["SLACK_SIGNING_SECRET"] = SIGNING_SECRET
    return bare_app.create_wsgi()


def call(web, environ: dict) -> None:
    status = []
    body = b"".join(web(environ, lambda s, h: status.append(s)))
    if not status[0].startswith("200"):
        raise RuntimeError(f"{status[0]}: {body[:200]!r}")


def cpu_per_request(web, texts: list[str], requests: int) -> float:
    """µs of process CPU per request (environs are built outside the timing)."""
    environs = [command_environ(texts[n % len(texts)]) for n in range(requests)]
    started = time.process_time()
    for environ in environs:
        call(web, environ)
    return (time.process_time() - started) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=2_000, help="per kind and round")
    parser.add_argument("--postgres", nargs="?", const="", default=None)
    parser.add_argument("--profile", default=None)
    args = parser.parse_args()
    server = server_url(args.postgres or None) if args.postgres is not None else None
    url, _work = fresh_database(None)
    if server:
        url = fresh_postgres(server)
    try:
        filler = Database(url)
        fill(filler, Generator(), 0, args.items)
        filler.dispose()
        fake = FakeSlack().start()
        fake.add_user("UMEMBER")
        web, db = build(url, fake)
        bare = build_bare(url, fake)
        kinds = {
            "bare ack": (bare, ["latest"]),
            "latest": (web, ["latest", "latest 10 News"]),
            "search": (web, [f"search {q}" for q in SEARCHES]),
            "categories": (web, ["categories"]),
        }
        for target, texts in kinds.values():  # warm: every answer cached
            cpu_per_request(target, texts, 50)
        if args.profile:
            target, texts = kinds[args.profile]
            print_profile(lambda: cpu_per_request(target, texts, args.requests))
        figures: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(ROUNDS):
            for kind, (target, texts) in kinds.items():
                figures[kind].append(cpu_per_request(target, texts, args.requests // ROUNDS))
        fake.stop()
        db.dispose()
    finally:
        if server:
            drop_postgres(server, url)
    backend = "postgresql" if server else "sqlite"
    bare_cpu = statistics.median(figures["bare ack"])
    print(f"\n{backend}: CPU µs per request, in process (median of {ROUNDS} rounds)")
    for kind, values in figures.items():
        cpu = statistics.median(values)
        print(f"  {kind:12s} {cpu:7.0f} µs  (x bare {cpu / bare_cpu:.2f})")
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} / {load[1]:.1f} (1 / 5 min)")


if __name__ == "__main__":
    main()
