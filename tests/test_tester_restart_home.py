"""App Home and cached answers right after the database restarted: the web process's
pooled connections are all dropped (a proxy cuts them; or the server ends every backend,
pg_terminate_backend); the next events and commands answer as before. PostgreSQL only."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import SIGNING_SECRET
from tests.slack_requests import SlackSender
from tests.test_http_curation import add_stored
from tests.test_http_home import open_home, texts


def test_app_home_right_after_a_database_restart(proxied_web, fake, db):
    proc, proxy = proxied_web
    add_stored(db, "Homes for members", category="Housing")
    slack = SlackSender(proc.url, SIGNING_SECRET, fake.response_url("restart-home"))
    before = texts(open_home(slack, fake, "UMEMBER", "EvHome1"))
    assert "Homes for members" in before
    proxy.cut()
    proxy.restore()
    assert texts(open_home(slack, fake, "UMEMBER", "EvHome2")) == before
    assert "Traceback" not in proc.log()


def test_answers_after_every_backend_is_terminated(proxied_web, fake, db):
    proc, _proxy = proxied_web
    add_stored(db, "Homes for members", category="Housing")
    slack = SlackSender(proc.url, SIGNING_SECRET, fake.response_url("terminate"))
    before = {c: slack.command(c).json() for c in ("latest", "categories")}
    home = texts(open_home(slack, fake, "UMEMBER", "EvHome3"))
    with db.engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert slack.command("latest").json() == before["latest"]
    assert texts(open_home(slack, fake, "UMEMBER", "EvHome4")) == home
    assert slack.command("categories").json() == before["categories"]
    assert "Traceback" not in proc.log()
