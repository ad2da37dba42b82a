"""What every `coopnews` command needs: environment, logging, settings, the database."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from dotenv import find_dotenv, load_dotenv

from bot.settings import Settings, SettingsError, load_settings, log_level

SAMPLE_LISTING = Path(__file__).resolve().parents[2] / "data" / "ilo-coop-news-2017.txt"
log = logging.getLogger("coopnews")


def load_environment() -> None:
    # Real environment variables win over .env (twelve-factor; Heroku sets them).
    load_dotenv(find_dotenv(usecwd=True), override=False)


class OneLineMessages(logging.Filter):
    """Newlines in a log message are written as `\\n`: text from outside (a title, a
    URL, an error quoting either) can never forge a log line. Tracebacks keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "\n" in message or "\r" in message:
            record.msg = message.replace("\r", "\\r").replace("\n", "\\n")
            record.args = None
        return True


# Libraries that narrate routine work at INFO: APScheduler two lines per job run (six a
# minute in the worker), Alembic every start, Bolt and slack_sdk each connection.
CHATTY_LIBRARIES = ("apscheduler", "alembic", "slack_bolt", "slack_sdk")


def configure_logging() -> None:
    """Our own lines at COOPNEWS_LOG_LEVEL (INFO: starts, imports, what a pass posted);
    the libraries' only from WARNING, unless DEBUG asks for everything. A bad level
    stops the program with one line, as any bad setting does."""
    try:
        level = log_level()
    except SettingsError as exc:
        fail(str(exc))
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, OneLineMessages) for f in handler.filters):
            handler.addFilter(OneLineMessages())
    quiet = logging.DEBUG if level == "DEBUG" else max(logging.getLevelName(level), logging.WARNING)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(quiet)


class StoreFailures(click.Group):
    """A command group whose commands answer a database failure in one line (exit 1)."""

    def invoke(self, ctx: click.Context):
        from sqlalchemy.exc import SQLAlchemyError

        from storage.db import describe_failure

        try:
            return super().invoke(ctx)
        except SQLAlchemyError as exc:
            logging.getLogger("coopnews").debug("database failure", exc_info=True)
            fail(f"{describe_failure(exc, detail=True)}; nothing was changed", code=1)


def fail(message: str, code: int = 2) -> None:
    click.echo(f"coopnews: {message}", err=True)
    sys.exit(code)


def settings_or_exit(require_slack: bool = False, http: bool = True) -> Settings:
    try:
        settings = load_settings()
        if require_slack:
            settings.require_slack(http=http)
        return settings
    except SettingsError as exc:
        fail(str(exc))
        raise  # unreachable


def open_database(settings: Settings, seed: bool = False, **engine_kwargs):
    """Migrate, then open the store; `seed`: a serving process's first start (run, web,
    worker) imports the bundled sample listing into an empty store, so every way of
    starting shows news at once. Exits with one line if the database does not answer.
    `engine_kwargs`: for storage.db.Database (a serving process's `page_cache_kib`)."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.db import Database, UnknownRevisionError, describe_failure, upgrade

    try:
        upgrade(settings.database_url)
    except UnknownRevisionError as exc:
        fail(f"cannot use the database at DATABASE_URL: {exc}")
    except SQLAlchemyError as exc:
        problem = describe_failure(exc, detail=True)
        verb = "reach" if problem.startswith("the database does not answer") else "use"
        fail(f"cannot {verb} the database at DATABASE_URL: {problem}")
    db = Database(settings.database_url, **engine_kwargs)
    if seed:
        seed_if_empty(db)
    return db


def seed_if_empty(db) -> None:
    """First start: give people something to see (idempotent, so racing starts are safe)."""
    from sources.importer import import_listing_text
    from storage import store

    with db.reading() as session:
        empty = store.count_items(session) == 0
    if empty and SAMPLE_LISTING.exists():
        summary = import_listing_text(db, SAMPLE_LISTING.read_text(encoding="utf-8"))
        log.info("empty store: imported the bundled sample listing (%s)", summary.line())
        for warning in summary.warnings:
            log.warning("sample listing: %s", warning)
