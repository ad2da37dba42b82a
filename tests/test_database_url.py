"""A DATABASE_URL coopnews cannot use stops every entry point with one line naming
it, and a non-zero exit; the terminal's `latest` honours -n and --offset; an
import's warnings are printed once."""

from __future__ import annotations

import subprocess

import pytest

from bot.settings import SettingsError, check_database_url
from tests.conftest import ROOT, app_environment, procfile_command, run_cli
from tests.test_http_latest import make_items

BAD_URLS = {
    "nonsense": "is not a database URL",
    "mysql://coop:secret@db.example/coopnews": "uses 'mysql'",
    "postgresql+asyncpg://coop@db.example/coopnews": "driver 'asyncpg'",
    "sqlite:////no/such/folder/coopnews.db": "folder that does not exist",
    "sqlite://": "in-memory",
    # An unclosed [IPv6 host (make_url's int() of the port) and a NUL in a SQLite path
    # (sqlite3's "embedded null byte") were tracebacks.
    "postgresql://coop:secret@[::1/coopnews": "is not a database URL",
    "sqlite:///coop%00news.db": "NUL",
}


@pytest.mark.parametrize(("url", "problem"), BAD_URLS.items())
def test_check_database_url_says_what_is_wrong(url, problem):
    with pytest.raises(SettingsError) as caught:
        check_database_url(url)
    message = str(caught.value)
    assert message.startswith("DATABASE_URL") and problem in message
    assert "\n" not in message and "secret" not in message


@pytest.mark.parametrize(
    "url", ["postgres://u:p@h/db", "postgresql+psycopg://u@h:5433/db", "sqlite:///coopnews.db"]
)
def test_usable_urls_pass(url):
    assert check_database_url(url) == url


def assert_one_line_exit(result: subprocess.CompletedProcess, problem: str) -> None:
    assert result.returncode != 0
    lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "DATABASE_URL" in lines[0] and problem in lines[0]


@pytest.mark.parametrize(("url", "problem"), list(BAD_URLS.items())[:4])
def test_every_entry_point_stops_with_one_line(session_fake, url, problem):
    env = app_environment(url, session_fake, PORT="9")
    for args in (["latest"], ["import", "x.xml"], ["worker"], ["web"], ["db", "upgrade"]):
        assert_one_line_exit(run_cli(*args, env=env, timeout=30), problem)
    # The Procfile's web line, gunicorn itself, as the platform starts it.
    gunicorn = subprocess.run(
        ["sh", "-c", f"exec {procfile_command('web')}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert_one_line_exit(gunicorn, problem)


@pytest.mark.parametrize(("url", "problem"), list(BAD_URLS.items())[5:])
def test_malformed_urls_stop_the_terminal_with_one_line(session_fake, url, problem):
    env = app_environment(url, session_fake)
    for args in (["latest"], ["db", "upgrade"]):
        assert_one_line_exit(run_cli(*args, env=env, timeout=30), problem)


def test_terminal_latest_honours_n_and_offset(db, session_fake, database_url):
    make_items(db, [(f"Story {i:02d}", i, None, None, None) for i in range(65)])
    env = app_environment(database_url, session_fake)
    listed = run_cli("latest", "-n", "60", env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("  Story ") == 60
    assert "More: coopnews latest -n 60 --offset 60" in listed.stdout
    rest = run_cli("latest", "-n", "60", "--offset", "60", env=env)
    titles = [line.strip() for line in rest.stdout.splitlines() if line.startswith("  Story")]
    assert titles == [f"Story {i:02d}" for i in range(60, 65)]
    assert "More:" not in rest.stdout
    refused = run_cli("latest", "-n", "0", env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr


def test_an_import_warning_is_printed_once(db, session_fake, database_url, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
        "<item><title>When?</title><guid>1</guid><pubDate>03/04/2026</pubDate></item>"
        "</channel></rss>"
    )
    result = run_cli("import", str(feed), env=app_environment(database_url, session_fake))
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert output.count("'03/04/2026' not understood") == 1
