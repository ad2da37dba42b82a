"""Opening a store already at the newest migration reads one row and never imports
Alembic (storage.db.upgrade); a store behind it is still migrated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from storage.db import alembic_config, current_revision, head_revision

ROOT = Path(__file__).resolve().parent.parent

# A new interpreter, as a gunicorn worker or `coopnews import` starts: it opens the
# store, then says whether Alembic was imported and which revision the store is at.
OPEN_STORE = """
import sys
from storage.db import upgrade
upgrade(sys.argv[1])
from sqlalchemy import create_engine, text
with create_engine(sys.argv[1].replace("postgresql://", "postgresql+psycopg://")).connect() as c:
    stored = c.execute(text("SELECT version_num FROM alembic_version")).scalar()
print("alembic" in sys.modules, stored)
"""


def open_store(url: str) -> tuple[bool, str]:
    done = subprocess.run(
        [sys.executable, "-c", OPEN_STORE, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    imported, stored = done.stdout.split()
    return imported == "True", stored


def test_head_revision_is_alembics_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert head_revision() == script.get_current_head()


def test_a_new_store_is_migrated_then_opened_without_alembic(empty_database_url):
    imported, stored = open_store(empty_database_url)
    assert (imported, stored) == (True, head_revision())
    imported, stored = open_store(empty_database_url)
    assert (imported, stored) == (False, head_revision())


def test_a_store_behind_the_head_is_migrated(empty_database_url):
    open_store(empty_database_url)
    command.downgrade(alembic_config(empty_database_url), "-1")
    assert current_revision(empty_database_url) != head_revision()
    imported, stored = open_store(empty_database_url)
    assert imported and stored == head_revision()
