"""A database that goes away: users get a short apology, /healthz says so, nothing is lost."""

from __future__ import annotations

import os

import pytest
import requests

from tests.conftest import SIGNING_SECRET
from tests.slack_requests import SlackSender

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL behind a cuttable proxy"
)


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
