"""What keeps a gunicorn worker small at a million items: the web process opens the
store with a small SQLite page cache per connection (storage.db.SERVING_PAGE_CACHE_KIB),
imports and the worker keep the big one, and gunicorn's config limits malloc arenas."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from bot.web import create_wsgi
from storage.db import BULK_PAGE_CACHE_KIB, SERVING_PAGE_CACHE_KIB, Database
from tests.conftest import app_environment


def cache_kib(db: Database) -> int:
    with db.engine.connect() as connection:
        return -connection.execute(text("PRAGMA cache_size")).scalar()


def test_the_web_process_keeps_a_small_page_cache_and_imports_a_big_one(
    database_url, fake, monkeypatch
):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's page cache")
    for name, value in app_environment(database_url, fake).items():
        monkeypatch.setenv(name, value)
    web = create_wsgi()
    try:
        assert cache_kib(web.db) == SERVING_PAGE_CACHE_KIB < BULK_PAGE_CACHE_KIB
    finally:
        web.db.dispose()
    bulk = Database(database_url)
    try:
        assert cache_kib(bulk) == BULK_PAGE_CACHE_KIB
    finally:
        bulk.dispose()


def test_gunicorns_config_loads_with_its_arena_limit(tmp_path):
    """The config module (the Procfile's `--config python:bot.gunicorn_conf`) calls glibc's
    mallopt through ctypes at import; it must import cleanly and keep its defaults."""
    env = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "GUNICORN_THREADS")}
    done = subprocess.run(
        [sys.executable, "-c", "import bot.gunicorn_conf as c; print(c.workers, c.threads)"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,  # no .env there
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2", "8"]
