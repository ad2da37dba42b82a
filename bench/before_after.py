"""Two versions of coopnews served side by side, beside the bare app, in the same run.

    cd bench && ../.venv/bin/python before_after.py REV [--postgres] [--items 10000]
    cd bench && ../.venv/bin/python before_after.py REV --database-url URL   # a kept store

REV (any git revision) is unpacked with `git archive` into a scratch folder and served
from there; this checkout is "after". Each gets the Procfile's web process (and a second
one where UMEMBER is an admin, for App Home), the bare app (bench/bare_app.py) answers
beside them, all on the same gunicorn settings, against one archive, interleaved:
p50 / p99 of latest, search, categories and App Home (÷ the bare app's), then
requests per second with 20 clients and the workers' CPU per request (from
/proc: utime + stime of the gunicorn workers, so less at the mercy of other load
than wall time). Figures, no asserts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness import (
    ROOT,
    FakeSlack,
    drop_postgres,
    fresh_database,
    fresh_postgres,
    home_times,
    postgres_url,
    start_bare,
    summary,
    throughput,
    time_commands,
)
from search import Generator, fill
from serving import LATESTS, SEARCH_TEXTS, link_to_sources, settle_counts
from sqlalchemy import func, select

from storage.db import Database
from storage.models import Item
from tests.conftest import RunningProcess, app_environment, free_port, wait_healthy


def serve(source: Path, url: str, fake: FakeSlack, log: Path, **extra: str) -> RunningProcess:
    """The Procfile's web command run from `source` (gunicorn puts its folder first)."""
    port = free_port()
    env = app_environment(url, fake, PORT=str(port), **extra)
    proc = RunningProcess.__new__(RunningProcess)
    proc.log_path, proc._log = log, open(log, "wb")  # noqa: SIM115 - closed in stop()
    command = "exec gunicorn --config python:bot.gunicorn_conf 'bot.web:create_wsgi()'"
    proc.proc = subprocess.Popen(["sh", "-c", command], cwd=source, env=env,
                                 stdout=proc._log, stderr=subprocess.STDOUT,
                                 start_new_session=True)  # fmt: skip
    proc.url = f"http://127.0.0.1:{port}"
    wait_healthy(proc.url, proc, timeout=120)
    return proc


def cpu_seconds(proc: RunningProcess) -> float:
    pid, total = proc.proc.pid, 0
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rev", help="the 'before' revision (e.g. a commit)")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--postgres", nargs="?", const="", default=None)
    parser.add_argument("--database-url", help="serve this store instead (kept; filled up to "
                        "--items from the items it has): e.g. one of 1,000,000 filled once")  # fmt: skip
    args = parser.parse_args()
    before = Path(tempfile.mkdtemp(prefix="coopnews-before-"))
    archive = subprocess.run(["git", "archive", args.rev], cwd=ROOT, capture_output=True,
                             check=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
    server = postgres_url(args.postgres or None) if args.postgres is not None else None
    url, work = fresh_database(args.database_url)
    url = fresh_postgres(server) if server and not args.database_url else url
    fake = FakeSlack().start()
    fake.add_user("UMEMBER")
    procs: dict[str, RunningProcess] = {}
    try:
        filler = Database(url)
        with filler.engine.connect() as connection:
            have = connection.scalar(select(func.count()).select_from(Item))
        if have < args.items:
            fill(filler, Generator(), have, args.items)
        link_to_sources(filler)
        settle_counts(filler)
        filler.dispose()
        for name, source in (("before", before), ("after", ROOT)):
            procs[name] = serve(source, url, fake, work / f"{name}.log")
            procs[f"{name} admin"] = serve(source, url, fake, work / f"{name}-admin.log",
                                           COOPNEWS_ADMINS="UMEMBER")  # fmt: skip
        procs["bare"] = start_bare(url, fake, work)
        report(procs, fake)
    finally:
        for proc in procs.values():
            proc.stop()
        fake.stop()
        shutil.rmtree(before, ignore_errors=True)
        if server and not args.database_url:
            drop_postgres(server, url)


def report(procs: dict[str, RunningProcess], fake: FakeSlack) -> None:
    times: dict[str, list[float]] = {}
    for _ in range(4):  # interleaved: drift in the machine's load hits all alike
        times.setdefault("bare", []).extend(time_commands(procs["bare"].url, fake, ["latest"], 25))
        times.setdefault("bare home", []).extend(home_times(procs["bare"].url, fake, 12))
        for name in ("before", "after"):
            url = procs[name].url
            for kind, texts in (("latest", LATESTS), ("search", SEARCH_TEXTS),
                                ("categories", ["categories"])):  # fmt: skip
                times.setdefault(f"{name} {kind}", []).extend(time_commands(url, fake, texts, 25))
            times.setdefault(f"{name} home member", []).extend(home_times(url, fake, 12))
            admin = procs[f"{name} admin"].url
            times.setdefault(f"{name} home admin", []).extend(home_times(admin, fake, 12))
        fake.reset()
        fake.add_user("UMEMBER")
    bare, bare_home = summary(times["bare"])[0], summary(times["bare home"])[0]
    for name, samples in times.items():
        p50, p99 = summary(samples)
        base = bare_home if "home" in name else bare
        print(f"{name:22s} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  (x bare {p50 / base:.2f})")
    rates: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    runs = [("bare", "bare", ["latest"])] + [
        (f"{name} {kind}", name, texts)
        for kind, texts in (("latest", LATESTS), ("search", SEARCH_TEXTS))
        for name in ("before", "after")
    ]
    for _ in range(3):
        for label, name, texts in runs:
            started = cpu_seconds(procs[name])
            rate, failed = throughput(procs[name].url, fake, texts, 400)
            if failed:
                print(f"{label}: {failed} failed requests")
            rates.setdefault(label, []).append(rate)
            cpus.setdefault(label, []).append((cpu_seconds(procs[name]) - started) / 400 * 1000)
    best_bare = max(rates["bare"])
    for label in rates:
        best = max(rates[label])
        print(f"20 clients {label:17s} {best:5.0f} req/s (x bare {best / best_bare:.2f}), "
              f"worker CPU {sorted(cpus[label])[1]:.2f} ms per request (median)")  # fmt: skip
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} / {load[1]:.1f} (1 / 5 min)")


if __name__ == "__main__":
    main()
