"""The `coopnews` command line: in process through click's CliRunner (`run_cli_in_process`);
as a user runs it, the installed console script in a subprocess (`run_cli`), for an import,
start-up errors and migrations."""

from __future__ import annotations

import subprocess
from pathlib import Path

from storage import store
from tests.conftest import (
    ROOT,
    app_environment,
    free_port,
    procfile_command,
    run_cli,
    run_cli_in_process,
)
from tests.test_ilo_listing import VARIED

SEED = ROOT / "data" / "ilo-coop-news-2017.txt"


def cli_env(database_url, session_fake, **extra):
    return app_environment(database_url, session_fake, **extra)


def test_import_is_idempotent_and_prints_one_summary_line(db, database_url, session_fake):
    env = cli_env(database_url, session_fake)
    first = run_cli("import", str(SEED), env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "added 10, already present 0, skipped 0"
    second = run_cli("import", str(SEED), env=env)
    assert second.stdout.strip() == "added 0, already present 10, skipped 0"
    with db.reading() as session:
        assert store.count_items(session) == 10


def test_import_counts_skipped_entries_and_warns(db, database_url, session_fake, tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(VARIED, encoding="utf-8")
    result = run_cli_in_process("import", str(page), env=cli_env(database_url, session_fake))
    assert result.stdout.strip() == "added 3, already present 0, skipped 1"
    assert "warning: entry 14: incomplete (no date), skipped" in result.stderr


def test_reordered_listing_adds_nothing(db, database_url, session_fake, tmp_path):
    """Position numbers shift as news arrives; identity comes from the content."""
    env = cli_env(database_url, session_fake)
    run_cli_in_process("import", str(SEED), env=env)
    text = SEED.read_text(encoding="utf-8")
    newer = (
        "News, stories and statements on cooperatives\n\n  1. News\n\n    A brand new story\n\n"
        "    20 July 2017\n\n"
    )
    shifted = text.split("\n", 1)[1]
    for n in range(10, 0, -1):  # renumber 1..10 as 2..11
        shifted = shifted.replace(f"  {n}. ", f"  {n + 1}. ", 1)
    page = tmp_path / "next.txt"
    page.write_text(newer + shifted, encoding="utf-8")
    result = run_cli_in_process("import", str(page), env=env)
    assert result.stdout.strip() == "added 1, already present 10, skipped 0"


def test_not_a_listing_is_a_clear_error_and_writes_nothing(
    db, database_url, session_fake, tmp_path
):
    junk = tmp_path / "notes.txt"
    junk.write_text("shopping list\n- milk\n- bread\n", encoding="utf-8")
    result = run_cli_in_process("import", str(junk), env=cli_env(database_url, session_fake))
    assert result.returncode != 0
    assert "nothing imported" in result.stderr and "Traceback" not in result.stderr
    missing = run_cli_in_process(
        "import", str(tmp_path / "nope.txt"), env=cli_env(database_url, session_fake)
    )
    assert missing.returncode != 0 and "cannot read" in missing.stderr
    with db.reading() as session:
        assert store.count_items(session) == 0


def test_latest_in_the_terminal(db, database_url, session_fake):
    env = cli_env(database_url, session_fake)
    run_cli_in_process("import", str(SEED), env=env)
    result = run_cli_in_process("latest", "-n", "2", env=env)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "10 July 2017 · News"
    assert lines[1] == "  ILO SSE Academy in Seoul concluded successfully"
    assert "06 July 2017 · COOP Champions" in result.stdout
    assert "04 July 2017" not in result.stdout
    champions = run_cli_in_process("latest", "--category", "coop champions", env=env)
    assert champions.stdout.count("· COOP Champions") == 1
    assert "· News" not in champions.stdout


def test_run_without_credentials_prints_one_line(database_url, session_fake, tmp_path):
    env = cli_env(database_url, session_fake, SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="")
    result = run_cli("run", env=env, timeout=30)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SLACK_BOT_TOKEN" in lines[0] and "README" in lines[0]
    assert "Create the Slack app" in lines[0]


def test_malformed_setting_names_the_variable(database_url, session_fake):
    env = cli_env(database_url, session_fake, COOPNEWS_ANNOUNCE_INTERVAL="soon")
    result = run_cli("run", env=env, timeout=30)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "coopnews: COOPNEWS_ANNOUNCE_INTERVAL must be a whole number, got 'soon'"
    ]


def test_db_upgrade_accepts_heroku_style_url(tmp_path, session_fake):
    """`postgres://` is rewritten; a SQLite path works from scratch."""
    url = f"sqlite:///{Path(tmp_path) / 'fresh.db'}"
    result = run_cli("db", "upgrade", env=cli_env(url, session_fake))
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_unreachable_database_is_one_clear_line(session_fake):
    env = cli_env("postgresql://nobody@127.0.0.1:1/none", session_fake)
    result = run_cli("latest", env=env)
    assert result.returncode != 0
    assert "cannot reach the database" in result.stderr and "Traceback" not in result.stderr


def test_a_token_slack_refuses_is_a_clear_line_naming_the_variable(database_url, fake, tmp_path):
    # A revoked or mistyped token: Bolt's auth.test at start fails. A line, no traceback,
    # from `coopnews run` and from the Procfile's web process alike.
    fake.handlers["auth.test"] = lambda call: {"ok": False, "error": "invalid_auth"}
    env = cli_env(database_url, fake, PORT=str(free_port()))
    run = run_cli("run", env=env, timeout=30)
    web = subprocess.run(
        ["sh", "-c", f"exec {procfile_command('web')}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    for result in (run, web):
        assert result.returncode != 0
        assert "Traceback" not in result.stderr, result.stderr
        last = result.stderr.strip().splitlines()[-1]  # after the first start's seeding line
        assert last.startswith("coopnews: Slack refused SLACK_BOT_TOKEN"), result.stderr
        assert "invalid_auth" in last


def test_an_app_token_slack_refuses_is_a_clear_line_naming_the_variable(database_url, fake):
    # Socket Mode, the README's first run: a mistyped or revoked SLACK_APP_TOKEN.
    fake.handlers["apps.connections.open"] = lambda call: {"ok": False, "error": "invalid_auth"}
    env = cli_env(database_url, fake, SLACK_APP_TOKEN="xapp-1-revoked")
    result = run_cli("run", env=env, timeout=30)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("coopnews: Slack refused SLACK_APP_TOKEN"), result.stderr
    assert "invalid_auth" in last
