"""Shared fixtures: a migrated database (SQLite, or PostgreSQL with
TEST_DATABASE_URL), the fake Slack Web API, and the web process started
exactly as the Procfile starts it."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url

from storage.db import Database, upgrade
from storage.models import Base, CategoryDelta, SourceItemDelta
from tests.fake_slack import FakeSlack
from tests.slack_requests import InProcessSender, ListenerPool, SlackSender
from tests.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
CONFIGURED_ADMIN = "UCONFADMIN"


# -- database ------------------------------------------------------------
@contextmanager
def new_database(folder: Path, migrate: bool = True):
    """A new database of its own: a SQLite file in `folder`, or a uniquely named
    PostgreSQL database on TEST_DATABASE_URL's server (dropped afterwards);
    migrated to head unless `migrate` is False (upgrade tests start it older)."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        url = f"sqlite:///{folder / 'coopnews.db'}"
        if migrate:
            upgrade(url)
        yield url
        return
    # A fresh PostgreSQL database per run: nothing left over, nothing shared.
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"coopnews_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        if migrate:
            upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def empty_database_url(tmp_path):
    """A new database with no tables at all, for migration and upgrade tests."""
    with new_database(tmp_path, migrate=False) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with new_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def session_db(database_url):
    db = Database(database_url)
    yield db
    db.dispose()


def clear_tables(db: Database) -> None:
    with db.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))
        # Deleting items wrote count deltas (0011's triggers): clear them last.
        session.execute(delete(CategoryDelta))
        session.execute(delete(SourceItemDelta))


@pytest.fixture
def db(session_db):
    clear_tables(session_db)
    return session_db


# -- Slack -----------------------------------------------------------------
@pytest.fixture(scope="session")
def session_fake():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def standard_users(fake: FakeSlack) -> None:
    fake.add_user("UADMIN", admin=True, tz="Europe/Zurich")
    fake.add_user("UOWNER", owner=True)
    fake.add_user("UMEMBER")
    fake.add_user("UMEMBER2")
    fake.add_user(CONFIGURED_ADMIN)


@pytest.fixture
def fake(session_fake):
    session_fake.reset()
    standard_users(session_fake)
    return session_fake


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_command(kind: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == kind:
            return command.strip()
    raise AssertionError(f"Procfile has no {kind}: process")


def app_environment(database_url: str, fake: FakeSlack, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COOPNEWS_"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=database_url,
        COOPNEWS_ADMINS=CONFIGURED_ADMIN,
        # Set, even if empty, so a developer's .env cannot leak into tests.
        SLACK_APP_TOKEN="",
        COOPNEWS_CHANNEL="",
        WEB_CONCURRENCY="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class RunningProcess:
    def __init__(self, command: str, env: dict, log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            ["sh", "-c", f"exec {command}"],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self._log.close()


def wait_healthy(url: str, proc: RunningProcess, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.proc.poll() is not None:
            raise AssertionError(f"the web process exited:\n{proc.log()}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the web process did not become healthy:\n{proc.log()}")


def running_web(database_url: str, fake: FakeSlack, log_dir: Path, **extra_env: str):
    """Start the Procfile's web process (gunicorn) against the fake Web API; yield it."""
    port = free_port()
    env = app_environment(database_url, fake, PORT=str(port), **extra_env)
    proc = RunningProcess(procfile_command("web"), env, log_dir / "web.log")
    proc.url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc.url, proc)
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def proxied_web(database_url, session_fake, tmp_path):
    """The Procfile's web process reaching PostgreSQL through a TCP proxy a test can cut
    (tests/tcp_proxy.py, as a server restart or outage would), as (process, proxy).
    Skipped on SQLite."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("needs PostgreSQL behind a cuttable proxy")
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        for proc in running_web(proxied_url, session_fake, tmp_path):
            yield proc, proxy
    finally:
        proxy.close()


@pytest.fixture(scope="session")
def web_process(database_url, session_fake, tmp_path_factory):
    """The Procfile's web process (gunicorn), against the fake Web API."""
    yield from running_web(database_url, session_fake, tmp_path_factory.mktemp("web"))


@pytest.fixture
def slack(web_process, fake, db) -> SlackSender:
    """Sends signed requests to the running app; the store and fake start empty."""
    return SlackSender(web_process.url, SIGNING_SECRET, fake.response_url())


def run_cli(*args: str, env: dict, input: str | None = None, timeout: float = 60):
    return subprocess.run(
        [str(Path(sys.executable).parent / "coopnews"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )


def run_cli_in_process(*args: str, env: dict, input: str | None = None):
    """`coopnews ARGS` through click's CliRunner, in this process: the same command
    line, environment, output and exit code as `run_cli`, without a process start.
    Never for `run`, `web` or `worker`: they serve forever (or exec gunicorn)."""
    import gc

    from click.testing import CliRunner

    from bot.cli import main

    assert args and args[0] not in ("run", "web", "worker"), "use run_cli for serving commands"
    result = CliRunner(catch_exceptions=False).invoke(main, list(args), input=input, env=env)
    gc.collect()  # close the command's database pool now, not at some later collection
    return subprocess.CompletedProcess(
        ["coopnews", *args], result.exit_code, result.stdout, result.stderr
    )


def shell_quote(command: list[str]) -> str:
    return " ".join(shlex.quote(c) for c in command)


def in_process(database_url: str, fake: FakeSlack, db: Database, **extra_env: str):
    """The app built in this process from the same settings the web process gets; yield
    a sender that dispatches signed requests to it (`.app`, `.deps` for introspection)."""
    from bot.app import build_app
    from bot.deps import build_deps
    from bot.settings import load_settings

    deps = build_deps(load_settings(app_environment(database_url, fake, **extra_env)), db)
    pool = ListenerPool()
    app = build_app(deps, listener_executor=pool)
    sender = InProcessSender(app, SIGNING_SECRET, fake.response_url(), pool)
    sender.deps = deps
    try:
        yield sender
    finally:
        # What listeners do after their ack ends before the next test clears the store.
        pool.shutdown(wait=True)


@pytest.fixture
def bolt(fake, db, database_url) -> InProcessSender:
    """Signed requests dispatched to the app built in process: the fast tier, for
    request -> answer tests; `slack` (gunicorn) is for journeys across processes."""
    yield from in_process(database_url, fake, db)


@pytest.fixture
def bolt_private_sources(fake, db, database_url) -> InProcessSender:
    """Like `bolt`, for an app that may fetch sources from loopback (test feed servers)."""
    yield from in_process(database_url, fake, db, COOPNEWS_ALLOW_PRIVATE_SOURCES="1")


@pytest.fixture(scope="session")
def web_process_private_sources(database_url, session_fake, tmp_path_factory):
    """The Procfile's web process allowed to read sources on 127.0.0.1 (test feed servers)."""
    log_dir = tmp_path_factory.mktemp("web-private")
    yield from running_web(database_url, session_fake, log_dir, COOPNEWS_ALLOW_PRIVATE_SOURCES="1")


@pytest.fixture
def slack_private_sources(web_process_private_sources, fake, db) -> SlackSender:
    """Like `slack`, to the web process that may fetch sources from loopback."""
    return SlackSender(web_process_private_sources.url, SIGNING_SECRET, fake.response_url())


@pytest.fixture
def feed_server():
    """A local HTTP server (127.0.0.1) serving test feeds; see tests/feed_server.py."""
    from tests.feed_server import FeedServer

    server = FeedServer().start()
    yield server
    server.stop()


# -- the public web (issue 15) ----------------------------------------------
PUBLIC_WEB_URL = "https://news.example.org"


@pytest.fixture(scope="module")
def public_web(database_url, session_fake, tmp_path_factory):
    """The Procfile's web process with COOPNEWS_PUBLIC_WEB=1 (feeds and /news public)."""
    yield from running_web(
        database_url,
        session_fake,
        tmp_path_factory.mktemp("public-web"),
        COOPNEWS_PUBLIC_WEB="1",
        COOPNEWS_PUBLIC_URL=PUBLIC_WEB_URL,
    )


@pytest.fixture
def site(public_web, db) -> str:
    """Base URL of the public web process; the store starts empty."""
    return public_web.url
