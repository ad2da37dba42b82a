"""What every `coopnews` command needs: environment, logging, settings, the database."""

from __future__ import annotations

import logging
import sys

import click
from dotenv import find_dotenv, load_dotenv

from bot.settings import Settings, SettingsError, load_settings


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


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, OneLineMessages) for f in handler.filters):
            handler.addFilter(OneLineMessages())
    # Alembic narrates every start at INFO; only its problems matter here.
    logging.getLogger("alembic").setLevel(logging.WARNING)


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


def open_database(settings: Settings):
    from sqlalchemy.exc import OperationalError

    from storage.db import Database, upgrade

    try:
        upgrade(settings.database_url)
    except OperationalError as exc:
        fail(database_problem(exc))
    return Database(settings.database_url)


def database_problem(exc: Exception) -> str:
    """One line for the operator: the driver's message without its newlines."""
    detail = " ".join(str(getattr(exc, "orig", None) or exc).split())
    return f"cannot reach the database at DATABASE_URL: {detail}"
