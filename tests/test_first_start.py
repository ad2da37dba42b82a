"""The first hour: every way of starting shows the sample news, and the logs stay quiet."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from storage import store
from storage.db import Database
from tests.conftest import (
    ROOT,
    RunningProcess,
    app_environment,
    free_port,
    procfile_command,
    wait_healthy,
)

# What a first start used to print that looks like trouble or is noise.
NOISE = ("will be unused", "apscheduler", "Running job", "alembic")


def item_count(database_url: str) -> int:
    db = Database(database_url)
    try:
        with db.reading() as session:
            return store.count_items(session)
    finally:
        db.dispose()


def wait_for_line(proc: RunningProcess, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in proc.log():
            return
        if proc.proc.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"no {text!r} in the log:\n{proc.log()}")


def test_the_procfile_web_process_seeds_an_empty_store_quietly(session_fake, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'fresh-web.db'}"
    port = free_port()
    env = app_environment(database_url, session_fake, PORT=str(port))
    web = RunningProcess(procfile_command("web"), env, tmp_path / "web.log")
    try:
        wait_healthy(f"http://127.0.0.1:{port}", web)
        assert item_count(database_url) > 0
        assert "imported the bundled sample listing" in web.log()
        assert not [noise for noise in NOISE if noise in web.log()], web.log()
    finally:
        web.stop()


def test_the_procfile_worker_seeds_an_empty_store_quietly(session_fake, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'fresh-worker.db'}"
    env = app_environment(database_url, session_fake)
    worker = RunningProcess(procfile_command("worker"), env, tmp_path / "worker.log")
    try:
        wait_for_line(worker, "worker started")
        time.sleep(1.5)  # the first announcement pass and poll run at once
        assert item_count(database_url) > 0
        assert "imported the bundled sample listing" in worker.log()
        assert not [noise for noise in NOISE if noise in worker.log()], worker.log()
    finally:
        worker.stop()


def logging_levels(level: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "COOPNEWS_LOG_LEVEL"}
    if level is not None:
        env["COOPNEWS_LOG_LEVEL"] = level
    code = (
        "import logging; from bot.cli.common import configure_logging; configure_logging(); "
        "print(logging.getLogger('coopnews').getEffectiveLevel(), "
        "logging.getLogger('apscheduler.scheduler').getEffectiveLevel())"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_coopnews_log_level_raises_or_lowers_the_logs():
    assert logging_levels(None).stdout.split() == ["20", "30"]  # INFO ours, WARNING libraries
    assert logging_levels("debug").stdout.split() == ["10", "10"]  # everything
    assert logging_levels("ERROR").stdout.split() == ["40", "40"]
    wrong = logging_levels("loud")
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == (
        "coopnews: COOPNEWS_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'"
    )
