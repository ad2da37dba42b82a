"""Following many feeds at once (an OPML import, URLs pasted in Slack).

Each feed goes through `sources.poller.subscribe`, as if added alone: it is
read once (its entries stored as backfill, never announced) and stored only
if it reads. One feed's failure never stops the others; every feed ends in
exactly one of three lists: added, already followed, failed (with the reason).
Running the same list again adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sources.fetch import FetchOptions
from sources.poller import SourceProblem, subscribe, validate_url
from storage import sources as source_store
from storage.db import Database

# Feeds read at the same time: polite to hosts, quick enough for 50 pasted URLs.
PARALLEL = 4


@dataclass(frozen=True)
class FeedToFollow:
    url: str
    category: str | None = None


@dataclass(frozen=True)
class Followed:
    url: str
    source_id: int
    title: str | None = None


@dataclass(frozen=True)
class Failed:
    url: str
    reason: str


@dataclass
class FollowReport:
    added: list[Followed] = field(default_factory=list)
    already: list[Followed] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)

    def counts(self) -> str:
        return (
            f"added {len(self.added)}, already followed {len(self.already)}, "
            f"failed {len(self.failed)}"
        )


def _existing(db: Database, url: str) -> Followed | None:
    with db.reading() as session:
        source = source_store.find_by_url(session, url)
        return Followed(url, source.id, source.title) if source else None


def _follow_one(
    db: Database, feed: FeedToFollow, options: FetchOptions, created_by: str | None
) -> tuple[str, Followed | Failed]:
    try:
        url = validate_url(feed.url)
    except SourceProblem as exc:
        return "failed", Failed(feed.url, str(exc))
    if known := _existing(db, url):
        return "already", known
    try:
        done = subscribe(db, url, options, category=feed.category, created_by=created_by)
    except SourceProblem as exc:
        # Another import (or an admin) may have added it meanwhile.
        if known := _existing(db, url):
            return "already", known
        return "failed", Failed(url, str(exc))
    except Exception as exc:  # a bug or a database hiccup: this feed fails, the rest go on
        return "failed", Failed(url, f"internal error: {type(exc).__name__}")
    return "added", Followed(url, done.source.id, done.source.title)


def follow_all(
    db: Database,
    feeds: Sequence[FeedToFollow],
    options: FetchOptions,
    created_by: str | None = None,
) -> FollowReport:
    """Follow every feed in `feeds` (a few read at a time); the report keeps their order.

    A URL listed twice is followed once; its second mention counts as already followed.
    """
    unique: list[FeedToFollow] = []
    seen: set[str] = set()
    report = FollowReport()
    repeats: list[FeedToFollow] = []
    for feed in feeds:
        key = feed.url.strip()
        (repeats if key in seen else unique).append(feed)
        seen.add(key)
    if unique:
        with ThreadPoolExecutor(max_workers=min(PARALLEL, len(unique))) as pool:
            results = list(pool.map(lambda f: _follow_one(db, f, options, created_by), unique))
        for outcome, detail in results:
            getattr(report, outcome).append(detail)
    for feed in repeats:
        known = _existing(db, feed.url.strip())
        if known:
            report.already.append(known)
        else:  # its first mention failed: so does this one, for the same reason
            reason = next((f.reason for f in report.failed if f.url == feed.url.strip()), "")
            report.failed.append(Failed(feed.url, reason or "listed twice"))
    return report
