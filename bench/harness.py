"""Shared bench plumbing: the fake Web API, gunicorn processes, signed request timing."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import (  # noqa: E402
    SIGNING_SECRET,
    RunningProcess,
    app_environment,
    free_port,
    procfile_command,
    wait_healthy,
)
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.slack_requests import SlackSender  # noqa: E402

__all__ = [
    "fresh_database",
    "FakeSlack",
    "start_web",
    "start_bare",
    "time_commands",
    "percentile",
    "summary",
]


def fresh_database(database_url: str | None, keep: bool = False) -> tuple[str, Path]:
    """A migrated database (default: a new SQLite file) and a scratch folder for logs;
    the folder (and the SQLite file in it) is removed when the process ends unless
    `keep`."""
    from storage.db import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="coopnews-bench-"))
    if not keep:
        atexit.register(shutil.rmtree, workdir, True)
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    return url, workdir


def start_web(
    database_url: str, fake: FakeSlack, log_dir: Path, **extra_env: str
) -> RunningProcess:
    """coopnews exactly as the Procfile's web process runs it (`extra_env`: more settings)."""
    port = free_port()
    env = app_environment(database_url, fake, PORT=str(port), **extra_env)
    proc = RunningProcess(procfile_command("web"), env, log_dir / "web.log")
    proc.url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc.url, proc, timeout=120)
    except BaseException:
        proc.stop()  # never leave a server behind
        raise
    return proc


def start_bare(
    database_url: str, fake: FakeSlack, log_dir: Path, **extra_env: str
) -> RunningProcess:
    """The bare Bolt app on the same gunicorn configuration (`extra_env`: e.g.
    BENCH_BARE_POLL=1 for Bolt's own 10 ms ack poll, bench/bare_app.py)."""
    port = free_port()
    env = app_environment(database_url, fake, PORT=str(port), **extra_env)
    command = "gunicorn --config python:bot.gunicorn_conf 'bench.bare_app:create_wsgi()'"
    proc = RunningProcess(command, env, log_dir / f"bare{port}.log")
    proc.url = f"http://127.0.0.1:{port}"
    sender = SlackSender(proc.url, SIGNING_SECRET, fake.response_url())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if sender.command("help").status_code == 200:
                return proc
        except Exception:
            time.sleep(0.1)
    proc.stop()
    raise RuntimeError(proc.log())


def time_commands(
    url: str, fake: FakeSlack, texts: list[str], rounds: int, warm: list[str] | None = None
) -> list[float]:
    """Milliseconds per signed slash command, sequential, after a warm-up (`warm`, else
    the first five of `texts`: pass other texts when every timed one must be new)."""
    sender = SlackSender(url, SIGNING_SECRET, fake.response_url())
    for text in texts[:5] if warm is None else warm:
        sender.command(text, user_id="UMEMBER")
    samples = []
    for i in range(rounds):
        text = texts[i % len(texts)]
        start = time.perf_counter()
        response = sender.command(text, user_id="UMEMBER")
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{text!r}: HTTP {response.status_code} {response.text[:200]}")
    return samples


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), percentile(samples, 99)


# Concurrent clients for the throughput rows (bench/serving.py, bench/table.py).
CLIENTS = 20


def worker_rss_mb(master_pid: int) -> float:
    """The largest RSS among the gunicorn master's children (its workers), in MB."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    largest = 0
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                largest = max(largest, int(line.split()[1]))
    return largest / 1024


def home_times(url: str, fake: FakeSlack, rounds: int) -> list[float]:
    """Milliseconds from an app_home_opened event sent to its views.publish received."""
    sender = SlackSender(url, SIGNING_SECRET, fake.response_url())
    samples = []
    for number in range(rounds + 3):
        before = len(fake.calls_to("views.publish"))
        event = {"type": "app_home_opened", "user": "UMEMBER", "channel": "D1", "tab": "home"}
        started = time.perf_counter()
        sender.event(event | {"event_ts": f"{time.time():.6f}"}, event_id=f"Ev{uuid.uuid4().hex}")
        while len(fake.calls_to("views.publish")) <= before:
            if time.perf_counter() - started > 10:
                raise RuntimeError("no views.publish within 10 s")
            time.sleep(0.0005)
        if number >= 3:  # warm-up
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def throughput(
    url: str, fake: FakeSlack, texts: list[str], total: int, warm: list[str] | None = None
) -> tuple[float, int]:
    """Requests per second with CLIENTS concurrent clients, and the failed ones. The
    warm-up sends CLIENTS requests of `warm` (default: of `texts`)."""
    # One sender (one kept-alive connection) per client thread: shared by two threads, a
    # sender opened a second connection that could sit idle past gunicorn's 2 s
    # keepalive and be reset as it was reused (a failed run, not a slow server).
    clients = threading.local()

    def one(number: int, pool_texts: list[str] = texts) -> bool:
        sender = getattr(clients, "sender", None)
        if sender is None:
            sender = clients.sender = SlackSender(url, SIGNING_SECRET, fake.response_url())
        try:
            response = sender.command(pool_texts[number % len(pool_texts)])
        except OSError:  # requests' ConnectionError too: a reset counts as a failed request
            return False
        return response.status_code == 200

    with ThreadPoolExecutor(CLIENTS) as pool:
        # Warm-up: every connection open.
        list(pool.map(lambda n: one(n, warm or texts), range(CLIENTS)))
        started = time.perf_counter()
        results = list(pool.map(one, range(total)))
        seconds = time.perf_counter() - started
    return total / seconds, results.count(False)


PG_LOCAL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_url(wanted: str | None) -> str | None:
    if wanted:
        return wanted
    try:
        socket.create_connection(("127.0.0.1", 5432), 1).close()
        return PG_LOCAL
    except OSError:
        return None


def fresh_postgres(server: str) -> str:
    """A new scratch database on `server`, migrated to the head; its URL."""
    from storage.db import upgrade

    url = empty_postgres(server)
    upgrade(url)
    return url


def empty_postgres(server: str) -> str:
    """A new, empty scratch database on `server` (drop it with drop_postgres); its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    # BENCH_DB_PREFIX: a name of one's own on a shared server (default coopnews_bench_).
    name = f"{os.environ.get('BENCH_DB_PREFIX', 'coopnews_bench_')}{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_postgres(server: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()
