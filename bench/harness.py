"""Shared bench plumbing: the fake Web API, gunicorn processes, signed request timing."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
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


def fresh_database(database_url: str | None) -> tuple[str, Path]:
    """A migrated database (default: a new SQLite file) and a scratch folder for logs."""
    from storage.db import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="coopnews-bench-"))
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


def start_bare(database_url: str, fake: FakeSlack, log_dir: Path) -> RunningProcess:
    """The bare Bolt app on the same gunicorn configuration."""
    port = free_port()
    env = app_environment(database_url, fake, PORT=str(port))
    command = "gunicorn --config python:bot.gunicorn_conf 'bench.bare_app:create_wsgi()'"
    proc = RunningProcess(command, env, log_dir / "bare.log")
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


def time_commands(url: str, fake: FakeSlack, texts: list[str], rounds: int) -> list[float]:
    """Milliseconds per signed slash command, sequential, after a warm-up."""
    sender = SlackSender(url, SIGNING_SECRET, fake.response_url())
    for text in texts[:5]:
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
