"""Migration 0005 and the Source model agree (the schema is owned by migrations)."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from storage.models import Source


def test_sources_table_matches_the_model(database_url):
    engine = create_engine(database_url)
    try:
        columns = {c["name"]: c for c in inspect(engine).get_columns("sources")}
    finally:
        engine.dispose()
    model = {c.name: c for c in Source.__table__.columns}
    assert set(columns) == set(model)
    for name in ("first_fetched_at", "failure_notified_at", "body_hash"):
        assert columns[name]["nullable"] is True
    assert columns["body_hash"]["type"].length == 64


def test_migration_0005_downgrades_and_upgrades_again(tmp_path):
    from alembic import command
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    config = alembic_config(url)
    before_0005 = ScriptDirectory.from_config(config).get_revision("0005").down_revision

    def source_columns() -> set[str]:
        engine = create_engine(url)
        try:
            return {c["name"] for c in inspect(engine).get_columns("sources")}
        finally:
            engine.dispose()

    upgrade(url)
    assert {"first_fetched_at", "failure_notified_at", "body_hash"} <= source_columns()
    command.downgrade(config, before_0005)
    assert not {"first_fetched_at", "failure_notified_at", "body_hash"} & source_columns()
    upgrade(url)
    assert {"first_fetched_at", "failure_notified_at", "body_hash"} <= source_columns()
