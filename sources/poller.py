"""Following sources: adding one (its first fetch is backfill) and polling those that are due.

A poll fetches and parses outside any open transaction, then writes the new
items and the source's state in one transaction: a failure never leaves half a
batch. If the database refuses that batch, each entry is stored in its own
transaction instead, so one entry it refuses is skipped (a warning in the
source's history) and never blocks the others. Every way a poll can fail
(fetch, parse, store, a bug) is recorded on the source as a one-line reason,
backs off, and counts toward the admin's alert; nothing escapes to the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from domain.text import shorten
from sources.documents import Document, Loaded, UnreadableSource, load_url
from sources.feed_bytes import FeedRejected
from sources.fetch import FetchError, FetchOptions, RateLimited, check_url
from storage import sources as source_store
from storage.db import Database
from storage.entries import add_items
from storage.models import Source
from storage.types import utcnow

log = logging.getLogger(__name__)

# How long a claimed poll keeps other workers off the source.
LEASE = timedelta(minutes=10)
PARALLEL_POLLS = 4
# Entries refused in a row, none stored, after which storing one by one stops.
GIVE_UP_AFTER_REFUSALS = 20
SOURCE_ERRORS = (FetchError, UnreadableSource, FeedRejected)

# notify(source): tell an admin about a source that keeps failing (bot: failure_recipients).
Notify = Callable[[Source], None]


class SourceProblem(Exception):
    """Adding a source failed; the message is for people."""


@dataclass
class PollOutcome:
    source_id: int
    # "new", "unchanged", "failed"; "waiting" (a Retry-After holds until `until`),
    # "busy" (another worker is polling it), "unknown" (no such source).
    status: str
    added: int = 0
    already_present: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    # The admin who added the source should now be told about its failures.
    alert: bool = False
    # Entries the database refused (each skipped with a warning).
    skipped: int = 0
    until: datetime | None = None
    moved_to: str | None = None
    # Items the feed corrected (title, summary or link): messages showing them need updating.
    corrected: list[int] = field(default_factory=list)

    def line(self) -> str:
        """One line for people: what the poll did."""
        if self.status == "waiting":
            return f"not polled: the site asked us to wait until {self.until:%Y-%m-%d %H:%M} UTC"
        if self.status == "busy":
            return "being polled right now by another worker"
        if self.status == "unknown":
            return "no such source"
        if self.status == "failed":
            return f"failed: {self.error}"
        text = f"added {self.added}, already present {self.already_present}"
        if self.status == "unchanged":
            text = "unchanged, added 0"
        if self.skipped:
            text += f", skipped {self.skipped} the database refused"
        if self.moved_to:
            text += f"; moved to {self.moved_to}"
        if self.error:
            text += f" (problem: {self.error})"
        return text


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
            result = add_items(session, document.drafts, source_id=source.id, announce=False)
            _record_read(session, source, loaded, now)
    except source_store.SourceExists as exc:
        raise SourceProblem(f"{url} is already followed") from exc
    except IntegrityError as exc:
        with db.reading() as session:
            raced = source_store.find_by_url(session, url) is not None
        if not raced:  # an entry the database refused, not a concurrent add
            raise
        raise SourceProblem(f"{url} is already followed") from exc
    return Subscribed(source, len(result.added), result.already_present, document.skipped)


def _record_read(session, source: Source, loaded: Loaded, now: datetime) -> str | None:
    """The source's state after a read; returns its new address if it moved."""
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
        return None
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
        max_age=fetched.max_age,
    )
    return source_store.note_redirect(session, source, fetched.permanent_url, now)


def poll_source(
    db: Database, source_id: int, options: FetchOptions, force: bool = False
) -> PollOutcome | None:
    """One poll of one source, if it is still due (None when another worker took it).

    `force` polls it due or not (an admin's `sources poll ID`), but never before a
    Retry-After the site sent: that answers "waiting" with the time.
    """
    now = utcnow()
    with db.transaction() as session:
        if force:
            current = source_store.get_source(session, source_id)
            if current is None:
                return PollOutcome(source_id, "unknown")
            until = source_store.waiting_until(current, now)
            if until is not None:
                return PollOutcome(source_id, "waiting", until=until)
        source = source_store.claim(session, source_id, now, LEASE, force=force)
        if source is None:
            return PollOutcome(source_id, "busy") if force else None
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
    except RateLimited as exc:
        return _fail(db, source_id, str(exc), exc.retry_after)
    except SOURCE_ERRORS as exc:
        return _fail(db, source_id, str(exc))
    except Exception as exc:  # a bug must not stop the other sources
        log.exception("polling source %s failed unexpectedly", source_id)
        return _fail(db, source_id, f"internal error while reading: {_reason(exc)}")
    try:
        return _store(db, source_id, loaded)
    except SQLAlchemyError as exc:
        if loaded.document is None:  # no entries: recording the read itself failed
            return _fail(db, source_id, f"could not store: {_reason(exc)}")
        # The batch was refused: store entry by entry, so one bad entry blocks nothing.
        log.warning("source %s: storing the batch failed, entry by entry now", source_id)
    except Exception as exc:
        log.exception("storing source %s failed unexpectedly", source_id)
        return _fail(db, source_id, f"internal error while storing: {_reason(exc)}")
    try:
        return _store_one_by_one(db, source_id, loaded)
    except Exception as exc:
        log.exception("storing source %s entry by entry failed", source_id)
        return _fail(db, source_id, f"could not store: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    """One line: the database's own message when there is one, else the exception's."""
    text = str(getattr(exc, "orig", None) or exc) or type(exc).__name__
    return " ".join(text.split())[:300]


def _store(db: Database, source_id: int, loaded: Loaded) -> PollOutcome | None:
    """The poll's entries and the source's state, in one transaction."""
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
            result = add_items(session, document.drafts, source_id=source.id, announce=announce)
            outcome = _outcome(source_id, document, len(result.added), result.already_present)
            outcome.corrected = result.corrected
        outcome.moved_to = _record_read(session, source, loaded, now)
        outcome.alert = source_store.alert_due(source)
    return outcome


def _outcome(source_id: int, document: Document, added: int, present: int) -> PollOutcome:
    return PollOutcome(
        source_id,
        "new",
        added=added,
        already_present=present,
        warnings=list(document.warnings),
        error=document.problem,
    )


def _store_one_by_one(db: Database, source_id: int, loaded: Loaded) -> PollOutcome | None:
    """Each entry in its own transaction; the ones the database refuses are skipped.

    When the first GIVE_UP_AFTER_REFUSALS entries are all refused, the store is the
    problem, not an entry: the poll fails without trying the rest.
    """
    document = loaded.document
    with db.reading() as session:
        source = source_store.get_source(session, source_id)
        if source is None:
            return None
        announce = source.first_fetched_at is not None
    added = present = 0
    corrected: list[int] = []
    refused: list[str] = []
    reason = ""
    for draft in document.drafts:
        try:
            with db.transaction() as session:
                result = add_items(session, [draft], source_id=source_id, announce=announce)
            added += len(result.added)
            present += result.already_present
            corrected.extend(result.corrected)
        except SQLAlchemyError as exc:
            reason = _reason(exc)
            refused.append(
                f"entry {shorten(draft.title, 80)!r} skipped: the database refused it ({reason})"
            )
            if len(refused) >= GIVE_UP_AFTER_REFUSALS and not added and not present:
                break
    if refused and not added and not present:
        # Nothing stored at all: the store is the problem, not an entry.
        return _fail(db, source_id, f"could not store any entry: {reason}")
    now = utcnow()
    with db.transaction() as session:
        source = source_store.get_source(session, source_id)
        if source is None:
            return None
        for warning in refused:
            source_store.add_event(session, source_id, source_store.WARNING, warning, now)
        outcome = _outcome(source_id, document, added, present)
        outcome.skipped = len(refused)
        outcome.corrected = corrected
        outcome.warnings.extend(refused)
        outcome.moved_to = _record_read(session, source, loaded, now)
        if refused:  # no validators: the next poll reads the feed again and retries them
            source.etag = source.last_modified = source.body_hash = None
        outcome.alert = source_store.alert_due(source)
    for warning in refused:
        log.warning("source %s: %s", source_id, warning)
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


def _fail(
    db: Database, source_id: int, error: str, retry_after: timedelta | None = None
) -> PollOutcome | None:
    """Record a failed poll on the source (reason, backoff, alert count)."""
    now = utcnow()
    error = " ".join(error.split())
    log.warning("source %s: %s", source_id, error)
    with db.transaction() as session:
        source = source_store.get_source(session, source_id)
        if source is None:
            return None
        source_store.record_failure(session, source, now, error, retry_after)
        outcome = PollOutcome(source_id, "failed", error=error)
        outcome.alert = source_store.alert_due(source)
        outcome.until = source.retry_after_until if retry_after is not None else None
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


def poll_now(
    db: Database, source_ids: list[int], options: FetchOptions, notify: Notify | None = None
) -> list[PollOutcome]:
    """Poll these sources at once, due or not (Retry-After still holds), in the given order."""
    with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL_POLLS, len(source_ids)))) as pool:
        outcomes = list(pool.map(lambda i: _poll_safely(db, i, options, True), source_ids))
    done = [o for o in outcomes if o]
    for outcome in done:
        if outcome.alert and notify:
            _tell(db, outcome.source_id, notify)
    return done


def _poll_safely(
    db: Database, source_id: int, options: FetchOptions, force: bool = False
) -> PollOutcome | None:
    """One source's trouble (even the database failing mid-poll) never stops the others;
    when even recording the failure fails, the poll's lease makes it retry later."""
    try:
        return poll_source(db, source_id, options, force)
    except Exception as exc:
        log.exception("polling source %s failed", source_id)
        return PollOutcome(source_id, "failed", error=f"could not record the poll: {_reason(exc)}")


def _tell(db: Database, source_id: int, notify: Notify) -> None:
    with db.reading() as session:
        source = source_store.get_source(session, source_id)
    if source is None:
        return
    try:
        notify(source)
    except Exception:  # not marked: the next failure tries again
        log.warning("could not tell an admin about source %s", source_id, exc_info=True)
        return
    with db.transaction() as session:
        source_store.mark_notified(session, source_id, utcnow())
