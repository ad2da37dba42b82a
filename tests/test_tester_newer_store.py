"""A store written by a newer coopnews (alembic_version names a migration this code does
not have, e.g. after rolling a deploy back) stops every command with one clear line,
not an Alembic traceback. As a user runs it: the console script in a subprocess."""

from __future__ import annotations

from sqlalchemy import text

from storage.db import Database, upgrade
from tests.conftest import app_environment, run_cli


def test_a_store_from_a_newer_version_is_one_clear_line(empty_database_url, session_fake):
    upgrade(empty_database_url)
    db = Database(empty_database_url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    db.dispose()
    env = app_environment(empty_database_url, session_fake)
    for command in (("db", "upgrade"), ("latest",)):
        result = run_cli(*command, env=env)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert "0999" in result.stderr and "newer" in result.stderr, result.stderr
