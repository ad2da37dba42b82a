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


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Alembic narrates every start at INFO; only its problems matter here.
    logging.getLogger("alembic").setLevel(logging.WARNING)


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


def open_database(settings: Settings):
    from sqlalchemy.exc import SQLAlchemyError

    from storage.db import Database, describe_failure, upgrade

    try:
        upgrade(settings.database_url)
    except SQLAlchemyError as exc:
        problem = describe_failure(exc, detail=True)
        verb = "reach" if problem.startswith("the database does not answer") else "use"
        fail(f"cannot {verb} the database at DATABASE_URL: {problem}")
    return Database(settings.database_url)
