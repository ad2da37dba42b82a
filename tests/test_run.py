"""`coopnews run`: one process that migrates, seeds an empty store and serves HTTP."""

from __future__ import annotations

import sys
from pathlib import Path

import requests

from tests.conftest import (
    SIGNING_SECRET,
    RunningProcess,
    app_environment,
    free_port,
    wait_healthy,
)
from tests.slack_requests import SlackSender


def test_run_seeds_an_empty_store_and_answers_latest(session_fake, tmp_path):
    fake = session_fake
    fake.reset()
    fake.add_user("UMEMBER")
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = app_environment(database_url, fake, PORT=str(port))
    coopnews = Path(sys.executable).parent / "coopnews"
    proc = RunningProcess(f"{coopnews} run", env, tmp_path / "run.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        body = SlackSender(url, SIGNING_SECRET, fake.response_url()).command("latest 2").json()
        first = next(b for b in body["blocks"] if b.get("block_id", "").startswith("item-"))
        assert "ILO SSE Academy in Seoul concluded successfully" in first["text"]["text"]
        assert "imported the bundled sample listing" in proc.log()
        assert "will be unused" not in proc.log()  # Bolt built without its token warning
    finally:
        proc.stop()


def test_run_over_http_serves_the_public_feeds_when_enabled(session_fake, tmp_path):
    # README: `make run` serves HTTP on $PORT for one machine; COOPNEWS_PUBLIC_WEB=1 then
    # makes the feeds and /news public there too, as in the Procfile's web process.
    fake = session_fake
    fake.reset()
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'public.db'}"
    env = app_environment(database_url, fake, PORT=str(port), COOPNEWS_PUBLIC_WEB="1")
    coopnews = Path(sys.executable).parent / "coopnews"
    proc = RunningProcess(f"{coopnews} run", env, tmp_path / "run.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        atom = requests.get(url + "/feed.atom", timeout=10)
        assert atom.status_code == 200, proc.log()
        assert "ILO SSE Academy in Seoul" in atom.text  # the sample listing, seeded
        assert requests.get(url + "/news", timeout=10).status_code == 200
    finally:
        proc.stop()
