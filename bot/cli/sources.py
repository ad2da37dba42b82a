"""`coopnews sources ...`: the feeds and listings the worker follows."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.common import fail, open_database, settings_or_exit


@click.group()
def sources() -> None:
    """Feeds and listings the worker follows."""


def _source_line(source, item_count: int, note: str | None = None) -> str:
    from bot.blocks.sources import every, next_check
    from bot.blocks.text import utc_text

    state = "paused" if source.paused_at else every(source.interval_seconds)
    lines = [
        f"{source.id}. {source.title or source.url}  [{source.kind or 'feed'}, {state}, "
        f"{item_count} items{', ' + source.category if source.category else ''}]",
        f"   {source.url}" + (f" -> {source.feed_url}" if source.feed_url != source.url else ""),
        f"   last success: {utc_text(source.last_success_at)}; "
        f"next check: {next_check(source, utc_text)}",
    ]
    if source.last_error:
        lines.append(f"   last error ({source.failures} in a row): {source.last_error}")
    if note and note != source.last_error:
        lines.append(f"   latest note: {note}")
    return "\n".join(lines)


@sources.command("list")
def sources_list() -> None:
    """Every source with its health."""
    from storage import sources as source_store

    settings = settings_or_exit()
    db = open_database(settings)
    with db.reading() as session:
        rows = source_store.list_sources(session)
        notes = source_store.latest_notes(session, [row.source.id for row in rows])
    if not rows:
        click.echo("No sources yet: `coopnews sources add URL [category]` follows one.")
    for row in rows:
        click.echo(_source_line(row.source, row.item_count, notes.get(row.source.id)))


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
@click.argument("source_ids", nargs=-1, type=int, metavar="[ID]...")
def sources_poll(source_ids: tuple[int, ...]) -> None:
    """Poll the named sources now, due or not (no ID: the due ones, as the worker does).

    A Retry-After the site sent still holds: such a source says until when.
    Exits 1 when a named source does not exist or its poll failed.
    """
    from sources.fetch import FetchOptions
    from sources.poller import poll_due, poll_now

    settings = settings_or_exit()
    db = open_database(settings)
    options = FetchOptions(allow_private=settings.allow_private_sources)
    ids = list(dict.fromkeys(source_ids))
    outcomes = poll_now(db, ids, options) if ids else poll_due(db, options)
    for outcome in outcomes:
        click.echo(f"source {outcome.source_id}: {outcome.line()}")
    if not outcomes:
        click.echo("no source is due")
    if any(o.status in ("failed", "unknown") for o in outcomes):
        raise SystemExit(1)


@sources.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True))
def sources_export(file: str | None) -> None:
    """Write every source as OPML 2.0 (to FILE, else to standard output)."""
    from sources.opml import OpmlFeed, opml_document
    from storage import sources as source_store
    from storage.types import utcnow

    settings = settings_or_exit()
    db = open_database(settings)
    with db.reading() as session:
        rows = source_store.list_sources(session)
    feeds = [
        OpmlFeed(
            url=row.source.feed_url or row.source.url,
            title=row.source.title,
            category=row.source.category,
            html_url=row.source.url,
        )
        for row in rows
    ]
    document = opml_document(feeds, "coopnews sources", utcnow())
    if file is None:
        click.echo(document.decode(), nl=False)
        return
    write_atomically(Path(file), document)
    click.echo(f"exported {len(feeds)} sources to {file}", err=True)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` whole, or leave it as it was (a temporary file, renamed)."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        fail(f"cannot write {path}: {exc.strerror or exc}", code=1)


@sources.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
def sources_import(file: str) -> None:
    """Follow every feed of an OPML file (folders become categories); safe to repeat.

    Prints each feed as added, already followed or failed (with the reason), then the
    three counts. Exit status 1 when any feed failed; a malformed file changes nothing.
    """
    from sources.fetch import FetchOptions
    from sources.following import FeedToFollow, follow_all
    from sources.opml import OpmlError, parse_opml

    try:
        feeds = parse_opml(Path(file).read_bytes())
    except OpmlError as exc:
        fail(f"{file} is not a usable OPML file: {exc}. Nothing was imported.", code=1)
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", code=1)
    settings = settings_or_exit()
    db = open_database(settings)
    report = follow_all(
        db,
        [FeedToFollow(feed.url, feed.category) for feed in feeds],
        FetchOptions(allow_private=settings.allow_private_sources),
    )
    for followed in report.added:
        click.echo(f"added: {followed.url} (source {followed.source_id})")
    for followed in report.already:
        click.echo(f"already followed: {followed.url} (source {followed.source_id})")
    for failed in report.failed:
        click.echo(f"failed: {failed.url}: {failed.reason}")
    click.echo(report.counts())
    if report.failed:
        sys.exit(1)
