"""The `coopnews` command line (click): serving, importing, the store, the database."""

from __future__ import annotations

import logging

import click

from bot.cli.common import (
    StoreFailures,
    configure_logging,
    fail,
    load_environment,
    open_database,
    settings_or_exit,
)
from bot.cli.sources import sources
from bot.numbers import MAX_OFFSET

log = logging.getLogger("coopnews")
# The terminal may list more than Slack's 20 at a time, within reason.
CLI_LATEST_MAX = 1000


@click.group(cls=StoreFailures)
def main() -> None:
    """coopnews: news about cooperatives, in Slack."""
    load_environment()
    configure_logging()


@main.command()
def run() -> None:
    """The whole bot in one process: Socket Mode or HTTP, plus the scheduler."""
    from bot.serve import run_all
    from bot.settings import SettingsError

    settings = settings_or_exit(require_slack=True)
    db = open_database(settings, seed=True)
    try:
        run_all(settings, db)
    except SettingsError as exc:  # e.g. Slack refused the token
        fail(str(exc))


@main.command()
def web() -> None:
    """HTTP only, under gunicorn, on $PORT."""
    from bot.serve import run_gunicorn

    settings = settings_or_exit(require_slack=True, http=True)
    open_database(settings).dispose()
    run_gunicorn(settings)


@main.command()
def worker() -> None:
    """The scheduler only: announcement passes, feed polls, digests."""
    from bot.deps import build_deps
    from bot.scheduler import build_scheduler

    settings = settings_or_exit(require_slack=True, http=False)
    db = open_database(settings, seed=True)
    deps = build_deps(settings, db)
    log.info("worker started")
    try:
        build_scheduler(deps, blocking=True).start()
    except (KeyboardInterrupt, SystemExit):
        log.info("worker stopped")


@main.command()
def announce() -> None:
    """One announcement pass, then exit (cron-safe beside a worker)."""
    from bot.announce_job import subscribe_configured_channel
    from bot.announcer import Announcer
    from bot.deps import build_deps

    settings = settings_or_exit(require_slack=True, http=False)
    db = open_database(settings)
    deps = build_deps(settings, db)
    subscribe_configured_channel(deps)
    report = Announcer(deps).run_pass()
    click.echo(report.line())
    from bot.follow_sender import run_follow_pass

    click.echo(run_follow_pass(deps).line())


@main.command("import")
@click.argument("source")
def import_command(source: str) -> None:
    """Import a file or URL: ILO listing text, RSS, Atom; idempotent."""
    from sources.fetch import FetchOptions
    from sources.importer import ImportFailed, import_source

    settings = settings_or_exit()
    db = open_database(settings)
    try:
        options = FetchOptions(allow_private=settings.allow_private_sources)
        summary = import_source(db, source, options)
    except ImportFailed as exc:
        fail(f"nothing imported: {exc}", code=1)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(summary.line())


@main.command()
@click.option(
    "-n",
    "count",
    type=click.IntRange(1, CLI_LATEST_MAX),
    default=5,
    show_default=True,
    help=f"how many items (1 to {CLI_LATEST_MAX:,}; Slack's cap of 20 does not apply here)",
)
@click.option(
    "--offset",
    type=click.IntRange(0, MAX_OFFSET),
    default=0,
    show_default=True,
    help="skip this many newer items first (the next page: --offset 20 after -n 20)",
)
@click.option("--category", "-c", default=None, help="only this category (any case)")
def latest(count: int, offset: int, category: str | None) -> None:
    """Print the newest items."""
    from bot.blocks.text import format_date
    from domain.text import shorten
    from storage import store

    settings = settings_or_exit()
    db = open_database(settings)
    with db.reading() as session:
        items, older = store.latest_page(session, count, category, offset, cap=CLI_LATEST_MAX)
    if not items:
        where = f" in category {category!r}" if category else ""
        click.echo(f"No items{where}" + (f" after the first {offset}." if offset else " yet."))
        return
    for item in items:
        meta = format_date(item.published_at) + (f" · {item.category}" if item.category else "")
        click.echo(f"{meta}\n  {item.title}")
        if item.url:
            click.echo(f"  {item.url}")
        if item.summary:
            click.echo(f"  {shorten(item.summary, 200)}")
        click.echo()
    if older:
        click.echo(f"More: coopnews latest -n {count} --offset {offset + len(items)}")


main.add_command(sources)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command()
def upgrade() -> None:
    """Apply migrations."""
    settings = settings_or_exit()
    open_database(settings).dispose()
    click.echo("database is up to date")


if __name__ == "__main__":
    main()
