"""A database that goes away: users get a short apology, /healthz says so, nothing is lost."""

from __future__ import annotations

import os

import pytest
import requests
from sqlalchemy.engine import make_url

from tests.conftest import (
    SIGNING_SECRET,
    RunningProcess,
    app_environment,
    free_port,
    procfile_command,
    wait_healthy,
)
from tests.slack_requests import SlackSender
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL behind a cuttable proxy"
)


@pytest.fixture
def proxied_web(database_url, session_fake, tmp_path):
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    port = free_port()
    env = app_environment(proxied_url, session_fake, PORT=str(port))
    proc = RunningProcess(procfile_command("web"), env, tmp_path / "web.log")
    proc.url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc.url, proc)
        yield proc, proxy
    finally:
        proc.stop()
        proxy.close()


def test_database_down_gets_an_apology_not_silence(proxied_web, fake, db):
    proc, proxy = proxied_web
    slack = SlackSender(proc.url, SIGNING_SECRET, fake.response_url("down"))
    assert slack.command("latest").status_code == 200
    proxy.cut()
    health = requests.get(proc.url + "/healthz", timeout=30)
    assert health.status_code == 503
    assert health.json()["database"] == "down"
    answer = slack.command("latest")
    assert answer.status_code == 200
    assert answer.json()["response_type"] == "ephemeral"
    assert answer.json()["text"].startswith(
        "Sorry, coopnews cannot do that right now: the database does not answer."
    )
    assert "Traceback" in proc.log()  # the trace is logged for us, not shown to the user
