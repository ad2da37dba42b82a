"""A store with coopnews's tables but no alembic_version row (made by create_all, or a
partial restore that left that table out) stops every command that opens the store with
one clear line and exit code 2 (storage.db.upgrade's UnversionedStoreError), as a store
from a newer coopnews does, instead of Alembic's "relation … already exists" traceback;
and the store is left as it was."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import inspect, text

from storage.db import Database, UnknownRevisionError, UnversionedStoreError, upgrade
from storage.models import Base
from tests.conftest import ROOT, app_environment, procfile_command, run_cli, run_cli_in_process

SERVING = [("run",), ("web",), ("worker",), ("db", "upgrade")]
# Every other command that opens the store (bot/cli), with arguments it accepts.
COMMANDS = [
    ("latest",),
    ("announce",),
    ("import", "{listing}"),
    ("sources", "list"),
    ("sources", "add", "https://example.org/feed.xml"),
    ("sources", "remove", "1"),
    ("sources", "pause", "1"),
    ("sources", "resume", "1"),
    ("sources", "interval", "1", "60"),
    ("sources", "poll"),
    ("sources", "export"),
    ("sources", "import", "{opml}"),
]


def _created_by_create_all(url: str) -> None:
    db = Database(url)
    Base.metadata.create_all(db.engine)  # the fault under test, not a way to migrate
    db.dispose()


def _restored_without_alembic_version(url: str) -> None:
    upgrade(url)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    db.dispose()


def _alembic_version_emptied(url: str) -> None:
    upgrade(url)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    db.dispose()


def _tables(url: str) -> set[str]:
    db = Database(url)
    with db.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
    db.dispose()
    return names


def _assert_one_clear_line(result) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert "already exists" not in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "alembic_version" in result.stderr and "DATABASE_URL" in result.stderr, result.stderr


@pytest.mark.parametrize(
    "make_store",
    [_created_by_create_all, _restored_without_alembic_version, _alembic_version_emptied],
)
def test_upgrade_refuses_a_store_without_its_migration_row(empty_database_url, make_store):
    make_store(empty_database_url)
    before = _tables(empty_database_url)
    with pytest.raises(UnversionedStoreError, match="no alembic_version row"):
        upgrade(empty_database_url)
    assert _tables(empty_database_url) == before


def test_every_command_says_so_in_one_line(empty_database_url, session_fake, tmp_path):
    _restored_without_alembic_version(empty_database_url)
    before = _tables(empty_database_url)
    listing = tmp_path / "listing.txt"
    listing.write_text("nothing\n", encoding="utf-8")
    opml = tmp_path / "feeds.opml"
    opml.write_text('<opml version="2.0"><body/></opml>', encoding="utf-8")
    env = app_environment(empty_database_url, session_fake)
    for command in SERVING:  # as a person or the Procfile starts them
        _assert_one_clear_line(run_cli(*command, env=env, timeout=120))
    # The Procfile's web line, gunicorn itself, as the platform starts it.
    gunicorn = subprocess.run(
        ["sh", "-c", f"exec {procfile_command('web')}"],
        cwd=ROOT, env={**env, "PORT": "9"}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert gunicorn.returncode != 0, gunicorn.stderr
    lines = [line for line in (gunicorn.stderr + gunicorn.stdout).splitlines() if line.strip()]
    assert len(lines) == 1 and "no alembic_version row" in lines[0], lines
    for command in COMMANDS:
        args = [a.format(listing=listing, opml=opml) for a in command]
        _assert_one_clear_line(run_cli_in_process(*args, env=env))
    assert _tables(empty_database_url) == before


def test_an_empty_database_is_still_migrated(empty_database_url):
    upgrade(empty_database_url)
    assert "alembic_version" in _tables(empty_database_url)


@pytest.mark.parametrize("other", ["0021", "0099"])
def test_two_migration_rows_are_refused_in_one_line(empty_database_url, session_fake, other):
    """A restore into a database that was already migrated can leave alembic_version
    with two rows (coopnews's migrations are one chain: a store has one). Which is
    true is unknown: refused like an unversioned store, one line, exit 2, never served
    as the head nor Alembic's 'overlaps' traceback."""
    upgrade(empty_database_url)
    db = Database(empty_database_url)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": other})
    db.dispose()
    with pytest.raises(UnknownRevisionError, match="2 rows"):
        upgrade(empty_database_url)
    env = app_environment(empty_database_url, session_fake)
    result = run_cli("latest", env=env, timeout=120)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert "alembic_version" in result.stderr and "DATABASE_URL" in result.stderr, result.stderr
