"""Following sources: adding one (its first fetch is backfill) and polling those that are due.

A poll fetches, parses and stores outside any open transaction, then writes the
new items and the source's state in one transaction: a failure never leaves
half a batch. Errors are recorded on the source and never escape to the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from sources.documents import Loaded, UnreadableSource, load_url
from sources.feeds import FeedRejected
from sources.fetch import FetchError, FetchOptions, check_url
from storage import sources as source_store
from storage.db import Database
from storage.models import Source
from storage.types import utcnow

log = logging.getLogger(__name__)

# How long a claimed poll keeps other workers off the source.
LEASE = timedelta(minutes=10)
PARALLEL_POLLS = 4
SOURCE_ERRORS = (FetchError, UnreadableSource, FeedRejected)

# notify(source): tell the admin who added a source (source.created_by) about its failures.
Notify = Callable[[Source], None]


class SourceProblem(Exception):
    """Adding a source failed; the message is for people."""


@dataclass
class PollOutcome:
    source_id: int
    status: str  # "new", "unchanged", "failed"
    added: int = 0
    already_present: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    # The admin who added the source should now be told about its failures.
    alert: bool = False
    # Items the feed corrected (title, summary or link): messages showing them need updating.
    corrected: list[int] = field(default_factory=list)


@dataclass
class Subscribed:
    source: Source
    added: int
    already_present: int
    skipped: int


def validate_url(url: str) -> str:
    """Syntax only (fast enough for an ack): http(s) with a host."""
    url = url.strip().strip("<>")
    if "|" in url:  # Slack's <url|label> form
        url = url.split("|", 1)[0]
    try:
        check_url(url)
    except FetchError as exc:
        raise SourceProblem(str(exc)) from exc
    return url


def subscribe(
    db: Database,
    url: str,
    options: FetchOptions,
    *,
    category: str | None = None,
    created_by: str | None = None,
    interval_seconds: int = source_store.DEFAULT_INTERVAL,
) -> Subscribed:
    """Fetch a new source once and, if it reads, store it with its entries as backfill."""
    url = validate_url(url)
    with db.reading() as session:
        existing = source_store.find_by_url(session, url)
    if existing is not None:
        raise SourceProblem(f"{url} is already followed (source {existing.id})")
    try:
        loaded = load_url(url, options, category=category)
    except SOURCE_ERRORS as exc:
        raise SourceProblem(str(exc)) from exc
    document = loaded.document
    if document is None:  # cannot happen: a first fetch sends no validators
        raise SourceProblem(f"{url} answered “not modified” to a first request")
    now = utcnow()
    try:
        with db.transaction() as session:
            source = source_store.create_source(
                session,
                url=url,
                now=now,
                feed_url=loaded.url,
                kind=document.kind,
                title=document.title,
                category=category,
                created_by=created_by,
                interval_seconds=interval_seconds,
            )
            result = source_store.store_entries(session, source.id, document.drafts, False)
            _record_read(session, source, loaded, now)
    except (source_store.SourceExists, IntegrityError) as exc:
        raise SourceProblem(f"{url} is already followed") from exc
    return Subscribed(source, len(result.added), result.already_present, document.skipped)


def _record_read(session, source: Source, loaded: Loaded, now: datetime) -> None:
    document = loaded.document
    if document is not None and document.problem:
        # Kept what parsed cleanly, but the feed is broken: no validators are saved (so
        # the next poll reads it again), the error is recorded and the poll backs off.
        source.etag = source.last_modified = source.body_hash = None
        source.feed_url = loaded.url
        source.kind = document.kind
        if source.first_fetched_at is None:
            source.first_fetched_at = now
        source_store.record_failure(session, source, now, document.problem)
        return
    fetched = loaded.fetched
    # A 304 need not repeat the validators: keep the ones that earned it.
    keep = fetched.not_modified
    source_store.record_success(
        session,
        source,
        now,
        etag=fetched.etag or (source.etag if keep else None),
        last_modified=fetched.last_modified or (source.last_modified if keep else None),
        body_hash=loaded.body_hash,
        feed_url=loaded.url,
        kind=document.kind if document else None,
        title=document.title if document else None,
        stored_entries=document is not None,
    )


def poll_source(db: Database, source_id: int, options: FetchOptions) -> PollOutcome | None:
    """One poll of one source, if it is still due (None when another worker took it)."""
    now = utcnow()
    with db.transaction() as session:
        source = source_store.claim(session, source_id, now, LEASE)
        if source is None:
            return None
        snapshot = _Snapshot.of(source)
    try:
        loaded = load_url(
            snapshot.feed_url,
            options,
            etag=snapshot.etag,
            last_modified=snapshot.last_modified,
            known_body_hash=snapshot.body_hash,
            category=snapshot.category,
        )
    except SOURCE_ERRORS as exc:
        return _fail(db, source_id, str(exc))
    except Exception as exc:  # a bug must not stop the other sources
        log.exception("polling source %s failed unexpectedly", source_id)
        return _fail(db, source_id, f"internal error: {type(exc).__name__}")
    now = utcnow()
    with db.transaction() as session:
        source = source_store.get_source(session, source_id)
        if source is None:  # removed while we were fetching
            return None
        outcome = PollOutcome(source_id, "unchanged")
        document = loaded.document
        if document is not None:
            # Entries of the first fetch are backfill: searchable, never announced.
            announce = source.first_fetched_at is not None
            result = source_store.store_entries(session, source.id, document.drafts, announce)
            outcome = PollOutcome(
                source_id,
                "new",
                added=len(result.added),
                already_present=result.already_present,
                warnings=document.warnings,
                error=document.problem,
                corrected=result.corrected,
            )
        _record_read(session, source, loaded, now)
        outcome.alert = _alert_due(source)
    return outcome


@dataclass(frozen=True)
class _Snapshot:
    feed_url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    category: str | None

    @classmethod
    def of(cls, source: Source) -> _Snapshot:
        return cls(
            source.feed_url or source.url,
            source.etag,
            source.last_modified,
            source.body_hash,
            source.category,
        )


def _alert_due(source: Source) -> bool:
    return bool(
        source.failures >= source_store.ALERT_AFTER_FAILURES
        and source.failure_notified_at is None
        and source.created_by
    )


def _fail(db: Database, source_id: int, error: str) -> PollOutcome | None:
    now = utcnow()
    with db.transaction() as session:
        source = source_store.get_source(session, source_id)
        if source is None:
            return None
        source_store.record_failure(session, source, now, error)
        outcome = PollOutcome(source_id, "failed", error=error)
        outcome.alert = _alert_due(source)
    log.warning("source %s: %s", source_id, error)
    return outcome


def poll_due(
    db: Database, options: FetchOptions, notify: Notify | None = None
) -> list[PollOutcome]:
    """Poll every due source (a few at a time); tell admins about failing ones once."""
    with db.reading() as session:
        due = source_store.due_source_ids(session, utcnow())
    if not due:
        return []
    with ThreadPoolExecutor(max_workers=min(PARALLEL_POLLS, len(due))) as pool:
        outcomes = [o for o in pool.map(lambda i: _poll_safely(db, i, options), due) if o]
    for outcome in outcomes:
        if outcome.alert and notify:
            _tell(db, outcome.source_id, notify)
    return outcomes


def _poll_safely(db: Database, source_id: int, options: FetchOptions) -> PollOutcome | None:
    """One source's trouble (even the database failing mid-poll) never stops the others."""
    try:
        return poll_source(db, source_id, options)
    except Exception:
        log.exception("polling source %s failed", source_id)
        return None


def _tell(db: Database, source_id: int, notify: Notify) -> None:
    with db.reading() as session:
        source = source_store.get_source(session, source_id)
    if source is None:
        return
    try:
        notify(source)
    except Exception:  # not marked: the next failure tries again
        log.warning(
            "could not tell %s about source %s", source.created_by, source_id, exc_info=True
        )
        return
    with db.transaction() as session:
        source_store.mark_notified(session, source_id, utcnow())
