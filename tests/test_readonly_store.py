"""A store that cannot be written: /healthz says so (503), every entry point answers
in one line, the user always gets an answer, and reading still works.

SQLite: the database file made immutable (chattr +i as root, else chmod 444).
PostgreSQL: a database whose sessions default to read-only transactions.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from domain.items import ItemDraft, fingerprint
from storage.db import Database, upgrade
from storage.entries import add_items
from storage.types import utcnow
from tests.conftest import (
    ROOT,
    SIGNING_SECRET,
    RunningProcess,
    app_environment,
    free_port,
    procfile_command,
    run_cli,
)
from tests.slack_requests import SlackSender


def seed(url: str) -> None:
    db = Database(url)
    draft = ItemDraft("Readable news", utcnow(), "ilo", fingerprint("ro", "1"), category="News")
    with db.transaction() as session:
        add_items(session, [draft])
    db.dispose()


def _set_immutable(path: Path, on: bool) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True)
    else:
        path.chmod(0o444 if on else 0o644)


@pytest.fixture(params=["sqlite", "postgresql"])
def read_only_url(request, tmp_path):
    """A migrated store with one item, that refuses every write."""
    if request.param == "sqlite":
        path = tmp_path / "ro.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        seed(url)
        _set_immutable(path, True)
        yield url
        _set_immutable(path, False)
        return
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        pytest.skip("PostgreSQL: set TEST_DATABASE_URL")
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"coopnews_ro_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    seed(url)
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def read_only_web(read_only_url, session_fake, tmp_path):
    port = free_port()
    env = app_environment(read_only_url, session_fake, PORT=str(port))
    proc = RunningProcess(procfile_command("web"), env, tmp_path / "web.log")
    proc.url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:  # up, though not healthy
            assert proc.proc.poll() is None, proc.log()
            try:
                requests.get(proc.url + "/healthz", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, proc.log()
                time.sleep(0.1)
        yield proc
    finally:
        proc.stop()


def answer_text(response, fake) -> str:
    """What the user saw: the command's own answer, and any follow-up through response_url."""
    assert response.status_code == 200
    said = [response.json().get("text", "")] if response.content else []
    time.sleep(0.3)
    said += [c.params.get("text", "") for c in fake.calls_to("response_url")]
    return "\n".join(said)


def test_a_read_only_store_is_unhealthy_and_every_write_is_answered(read_only_web, fake):
    health = requests.get(read_only_web.url + "/healthz", timeout=10)
    assert health.status_code == 503
    assert health.json() == {"ok": False, "database": "read-only"}

    slack = SlackSender(read_only_web.url, SIGNING_SECRET, fake.response_url("ro"))
    # Reading still works.
    latest = slack.command("latest", user_id="UMEMBER")
    assert "Readable news" in str(latest.json())
    # A write is answered, in one line, saying why.
    said = answer_text(slack.command("subscribe all", user_id="UADMIN", channel_id="CNEWS"), fake)
    assert "read-only" in said and "Nothing was changed" in said
    assert "\n" not in said.strip()
    # The item modal stays open with what was typed, saying why.
    from tests.curation_payloads import form_values, submission_of
    from tests.test_http_curation import open_add_modal

    view = open_add_modal(slack, fake)
    body = slack.interaction(submission_of(view, "UADMIN", form_values(title="Kept"))).json()
    assert body["response_action"] == "errors"
    assert (
        "read-only" in body["errors"]["title"] and "Nothing was changed" in body["errors"]["title"]
    )
    # The App Home still opens (the event cannot be recorded, but it is read-only work).
    from tests.test_http_home import open_home, texts

    assert "Readable news" in texts(open_home(slack, fake, "UMEMBER", "EvReadOnly1"))
    assert read_only_web.proc.poll() is None  # the server lives on


def test_cli_entry_points_answer_a_read_only_store_in_one_line(
    read_only_url, session_fake, feed_server
):
    from tests import feed_samples as samples

    feed_server.serve("/feed", samples.simple_rss(2))
    env = app_environment(read_only_url, session_fake, COOPNEWS_ALLOW_PRIVATE_SOURCES="1")
    listing = ROOT / "data" / "ilo-coop-news-2017.txt"
    for args in (("import", str(listing)), ("sources", "add", feed_server.url("/feed"))):
        result = run_cli(*args, env=env)
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
        assert "read-only" in lines[0] and lines[0].startswith("coopnews: ")
    # Reading still works.
    result = run_cli("latest", env=env)
    assert result.returncode == 0 and "Readable news" in result.stdout


def test_sqlite_files_made_immutable_while_serving_get_an_answer_not_a_crash(
    session_fake, tmp_path
):
    """The -shm file SQLite has mapped becoming read-only used to kill the worker (SIGBUS)."""
    fake = session_fake
    fake.reset()
    fake.add_user("UADMIN", admin=True)
    path = tmp_path / "live.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    seed(url)
    port = free_port()
    env = app_environment(url, fake, PORT=str(port))
    proc = RunningProcess(procfile_command("web"), env, tmp_path / "web.log")
    proc.url = f"http://127.0.0.1:{port}"
    frozen: list[Path] = []
    try:
        from tests.conftest import wait_healthy

        wait_healthy(proc.url, proc)
        slack = SlackSender(proc.url, SIGNING_SECRET, fake.response_url("live"))
        assert "Readable news" in str(slack.command("latest").json())
        frozen = [p for p in tmp_path.iterdir() if p.name.startswith("live.db")]
        assert {p.name for p in frozen} >= {"live.db", "live.db-shm"}
        for file in frozen:
            _set_immutable(file, True)
        said = answer_text(slack.command("subscribe all", user_id="UADMIN", channel_id="CX"), fake)
        assert "read-only" in said and "Nothing was changed" in said
        health = requests.get(proc.url + "/healthz", timeout=10)
        assert (health.status_code, health.json()["database"]) == (503, "read-only")
        assert "SIGBUS" not in proc.log()
    finally:
        for file in frozen:
            _set_immutable(file, False)
        proc.stop()
