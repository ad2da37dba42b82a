"""The `coopnews` command line (click)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from dotenv import find_dotenv, load_dotenv

from bot.settings import Settings, SettingsError, load_settings

SAMPLE_LISTING = Path(__file__).resolve().parent.parent / "data" / "ilo-coop-news-2017.txt"
log = logging.getLogger("coopnews")


def load_environment() -> None:
    # Real environment variables win over .env (twelve-factor; Heroku sets them).
    load_dotenv(find_dotenv(usecwd=True), override=False)


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
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
        fail(f"cannot reach the database at DATABASE_URL: {exc.orig}")
    return Database(settings.database_url)


@click.group()
def main() -> None:
    """coopnews: news about cooperatives, in Slack."""
    load_environment()
    configure_logging()


@main.command()
def run() -> None:
    """The whole bot in one process: Socket Mode or HTTP, plus the scheduler."""
    from bot.serve import run_all

    settings = settings_or_exit(require_slack=True)
    db = open_database(settings)
    seed_if_empty(db)
    run_all(settings, db)


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
    db = open_database(settings)
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
@click.option("-n", "count", type=click.IntRange(1), default=5, show_default=True)
@click.option("--category", "-c", default=None, help="only this category (any case)")
def latest(count: int, category: str | None) -> None:
    """Print the newest items."""
    from bot.blocks.text import format_date, shorten
    from storage import store

    settings = settings_or_exit()
    db = open_database(settings)
    with db.reading() as session:
        items = store.latest(session, count, category)
    if not items:
        click.echo("No items" + (f" in category {category!r}." if category else " yet."))
        return
    for item in items:
        meta = format_date(item.published_at) + (f" · {item.category}" if item.category else "")
        click.echo(f"{meta}\n  {item.title}")
        if item.url:
            click.echo(f"  {item.url}")
        if item.summary:
            click.echo(f"  {shorten(item.summary, 200)}")
        click.echo()


@main.group()
def sources() -> None:
    """Feeds and listings the worker follows."""


def _source_line(source, item_count: int) -> str:
    from bot.blocks.sources import every, format_moment

    state = "paused" if source.paused_at else every(source.interval_seconds)
    lines = [
        f"{source.id}. {source.title or source.url}  [{source.kind or 'feed'}, {state}, "
        f"{item_count} items{', ' + source.category if source.category else ''}]",
        f"   {source.url}" + (f" -> {source.feed_url}" if source.feed_url != source.url else ""),
        f"   last success: {format_moment(source.last_success_at)}",
    ]
    if source.last_error:
        lines.append(f"   last error ({source.failures} in a row): {source.last_error}")
    return "\n".join(lines)


@sources.command("list")
def sources_list() -> None:
    """Every source with its health."""
    from storage import sources as source_store

    settings = settings_or_exit()
    db = open_database(settings)
    with db.reading() as session:
        rows = source_store.list_sources(session)
    if not rows:
        click.echo("No sources yet: `coopnews sources add URL [category]` follows one.")
    for row in rows:
        click.echo(_source_line(row.source, row.item_count))


@sources.command("add")
@click.argument("url")
@click.argument("category", nargs=-1)
@click.option(
    "--every",
    "minutes",
    type=click.IntRange(5),
    default=30,
    show_default=True,
    help="minutes between polls",
)
def sources_add(url: str, category: tuple[str, ...], minutes: int) -> None:
    """Follow a feed (or a page that links to one); its current entries are not announced."""
    from bot.blocks.sources import every
    from sources.fetch import FetchOptions
    from sources.poller import SourceProblem, subscribe

    settings = settings_or_exit()
    db = open_database(settings)
    try:
        done = subscribe(
            db,
            url,
            FetchOptions(allow_private=settings.allow_private_sources),
            category=" ".join(category).strip() or None,
            interval_seconds=minutes * 60,
        )
    except SourceProblem as exc:
        fail(f"not added: {exc}", code=1)
    source = done.source
    click.echo(
        f"source {source.id}: {source.title or source.url} ({source.kind}), "
        f"checked {every(source.interval_seconds)}"
    )
    click.echo(
        f"added {done.added}, already present {done.already_present}, skipped {done.skipped} "
        "(not announced: backfill)"
    )


def _change_source(source_id: int, change) -> None:
    settings = settings_or_exit()
    db = open_database(settings)
    with db.transaction() as session:
        source = change(session, source_id)
        label = f"{source.id}. {source.title or source.url}" if source else None
    if label is None:
        fail(f"there is no source {source_id} (see `coopnews sources list`)", code=1)
    return label


@sources.command("remove")
@click.argument("source_id", type=int)
def sources_remove(source_id: int) -> None:
    """Stop following a source (its items stay)."""
    from storage import sources as source_store

    label = _change_source(source_id, source_store.remove_source)
    click.echo(f"removed {label}")


@sources.command("pause")
@click.argument("source_id", type=int)
def sources_pause(source_id: int) -> None:
    """Stop polling a source until resumed."""
    from storage import sources as source_store
    from storage.types import utcnow

    label = _change_source(source_id, lambda s, i: source_store.set_paused(s, i, True, utcnow()))
    click.echo(f"paused {label}")


@sources.command("resume")
@click.argument("source_id", type=int)
def sources_resume(source_id: int) -> None:
    """Poll a paused source again."""
    from storage import sources as source_store
    from storage.types import utcnow

    label = _change_source(source_id, lambda s, i: source_store.set_paused(s, i, False, utcnow()))
    click.echo(f"resumed {label}")


@sources.command("interval")
@click.argument("source_id", type=int)
@click.argument("minutes", type=click.IntRange(5))
def sources_interval(source_id: int, minutes: int) -> None:
    """Set how often a source is polled (minutes, at least 5)."""
    from storage import sources as source_store
    from storage.types import utcnow

    label = _change_source(
        source_id, lambda s, i: source_store.set_interval(s, i, minutes * 60, utcnow())
    )
    click.echo(f"{label}: polled every {minutes} min")


@sources.command("poll")
def sources_poll() -> None:
    """Poll the sources that are due now, once (what the worker does every minute)."""
    from sources.fetch import FetchOptions
    from sources.poller import poll_due

    settings = settings_or_exit()
    db = open_database(settings)
    outcomes = poll_due(db, FetchOptions(allow_private=settings.allow_private_sources))
    for outcome in outcomes:
        detail = outcome.error or f"added {outcome.added}"
        click.echo(f"source {outcome.source_id}: {outcome.status}, {detail}")
    if not outcomes:
        click.echo("no source is due")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command()
def upgrade() -> None:
    """Apply migrations."""
    settings = settings_or_exit()
    open_database(settings).dispose()
    click.echo("database is up to date")


def seed_if_empty(db) -> None:
    """First start: give people something to see."""
    from sources.importer import import_listing_text
    from storage import store

    with db.reading() as session:
        empty = store.count_items(session) == 0
    if empty and SAMPLE_LISTING.exists():
        summary = import_listing_text(db, SAMPLE_LISTING.read_text(encoding="utf-8"))
        log.info("empty store: imported the bundled sample listing (%s)", summary.line())


if __name__ == "__main__":
    main()
