"""What App Home shows besides items: subscribed channels and the sources' health."""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    bindparam,
    cast,
    func,
    inspect,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from storage import revision
from storage.categories import fold_if_due
from storage.models import (
    Follow,
    ScheduledItem,
    ScheduledState,
    Source,
    Subscription,
    Suggestion,
    SuggestionState,
)
from storage.revision import Revision
from storage.sources import DELTAS, ITEM_COUNT, SourceRow, with_item_counts

# App Home shows at most this many channels and sources; the rest are counted.
HOME_LIST_LIMIT = 20


@dataclass(frozen=True)
class SourceHealth:
    url: str
    title: str | None
    paused_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    failures: int
    items: int


def health(every: Sequence[SourceRow], limit: int = HOME_LIST_LIMIT) -> list[SourceHealth]:
    """`every` source (storage.sources.list_sources) as App Home lists them: failing
    ones first, then by title and URL, at most `limit`."""
    rows = sorted(
        every,
        key=lambda row: (-row.source.failures, row.source.title or "", row.source.url),
    )
    return [
        SourceHealth(
            url=row.source.url,
            title=row.source.title,
            paused_at=row.source.paused_at,
            last_success_at=row.source.last_success_at,
            last_error=row.source.last_error,
            failures=row.source.failures,
            items=row.item_count,
        )
        for row in rows[:limit]
    ]


@dataclass
class HomeReads:
    """What App Home reads besides the shared item parts, from one statement
    (`home_reads`). Rows are named tuples with the models' attribute names (not
    ORM instances: nothing to load, flush or refresh), each list in the order its own function gives and each count taken
    before the list's limit:

    - `revision`: storage.revision.current's answer, read in the same statement, so
      on PostgreSQL (each statement its own snapshot) every part is at least as new;
    - `subscriptions`: list_subscriptions' rows, oldest first, at most `list_limit`;
      `subscription_count`: all of them;
    - `follows`: storage.follows.list_follows(user_id), oldest first ([] without one);
    - admins only, else empty and 0: `sources`, every source with its item count
      (list_sources' rows, by id); `suggestions` and `pending_suggestions`
      (storage.suggestions.pending and count_pending); `scheduled` and
      `pending_scheduled` (storage.scheduled.upcoming and count_pending).
    """

    revision: Revision
    # Each row as a Subscription, Follow, Source, Suggestion or ScheduledItem reads.
    subscriptions: list = field(default_factory=list)
    subscription_count: int = 0
    follows: list = field(default_factory=list)
    sources: list[SourceRow] = field(default_factory=list)
    suggestions: list = field(default_factory=list)
    pending_suggestions: int = 0
    scheduled: list = field(default_factory=list)
    pending_scheduled: int = 0


def home_reads(
    session: Session | Connection,
    user_id: str | None,
    admin: bool,
    suggestions: int,
    scheduled: int,
    list_limit: int = HOME_LIST_LIMIT,
    now: datetime | None = None,
) -> HomeReads:
    """App Home's per-person reads (and the data revision) in ONE statement, where
    they were one each: on PostgreSQL each statement is a round trip, which on a
    loaded server waits to be scheduled (issue #16). `suggestions` and `scheduled`:
    how many of each an admin's Home lists; `now` decides whether the featured row
    is live (storage.revision.of). Same answers as the separate reads, on SQLite and
    PostgreSQL: each part is its own ordered, limited select, with row_number() for
    its order and count() over () for its count (windows run before the LIMIT), and
    the parts are UNION ALL'd side by side in one wide row (a part's columns hold
    NULL in the others' rows, cast to their type so each column keeps its type's
    conversions). On a Session or a Core Connection (App Home reads it on one checked
    out without a ping: storage/db.Database.reading_first)."""
    stmt, starts = _statement(bool(user_id), admin)
    params = {"list_limit": list_limit, "suggestions": suggestions, "scheduled": scheduled}
    # Core, not the ORM: its per-column row processing is for entities this has none of.
    connection = session.connection() if isinstance(session, Session) else session
    rows = connection.execute(stmt, params | ({"user_id": user_id} if user_id else {})).all()
    by_part: dict[int, list] = {}
    for row in rows:
        by_part.setdefault(row[0], []).append(row)

    def values(number: int, model, extra: int = 0) -> tuple[list, int]:
        found = by_part.get(number, [])
        start, end = starts[number], starts[number] + len(model.__table__.c) + extra
        cut = [row[start:end] for row in found]
        return cut, (int(found[0][2]) if found else 0)

    version, until = by_part[0][0][starts[0] : starts[0] + 2]
    reads = HomeReads(revision=revision.of(version, until, now))
    cut, reads.subscription_count = values(1, Subscription)
    reads.subscriptions = [_detached(Subscription, row) for row in cut]
    number = 1
    if user_id:
        number += 1
        reads.follows = [_detached(Follow, row) for row in values(number, Follow)[0]]
    if admin:
        width = len(Source.__table__.c)
        cut, _ = values(number + 1, Source, extra=2)
        reads.sources = [SourceRow(_detached(Source, row[:width]), int(row[width])) for row in cut]
        fold_if_due(session, deltas=sum(int(row[width + 1]) for row in cut))
        cut, reads.pending_suggestions = values(number + 2, Suggestion)
        reads.suggestions = [_detached(Suggestion, row) for row in cut]
        cut, reads.pending_scheduled = values(number + 3, ScheduledItem)
        reads.scheduled = [_detached(ScheduledItem, row) for row in cut]
    return reads


@functools.cache
def _statement(follows: bool, admin: bool) -> tuple[Select, list[int]]:
    """`home_reads`' statement (built once: building it took longer than running it)
    and where each part's columns start in its rows. Each row: the part's number, its
    place in the part's order, the part's count, then every part's columns side by
    side. Parameters: list_limit, suggestions, scheduled, and user_id if `follows`."""
    parts: list[tuple[list, Select]] = []

    def part(model, where, order, limit=None, extra=(), join=None):
        columns = [*model.__table__.c, *extra]
        stmt = select(
            *columns,
            func.row_number().over(order_by=order).label("n"),
            func.count().over().label("total"),
        )
        stmt = (join(stmt) if join else stmt).where(*where).order_by(*order)
        parts.append((columns, stmt.limit(bindparam(limit)) if limit else stmt))

    at = [revision.VERSION, revision.FEATURED_UNTIL.label("featured_until")]
    one = literal_column("1")
    parts.append((at, select(*at, one.label("n"), one.label("total")).where(revision.ONE_ROW)))
    part(Subscription, [], [Subscription.created_at, Subscription.id], "list_limit")
    if follows:
        part(Follow, [Follow.user_id == bindparam("user_id")], [Follow.id])
    if admin:
        part(Source, [], [Source.id], extra=(ITEM_COUNT, DELTAS), join=with_item_counts)
        state = Suggestion.state == SuggestionState.PENDING
        part(Suggestion, [state], [Suggestion.created_at, Suggestion.id], "suggestions")
        waiting = ScheduledItem.state == ScheduledState.PENDING
        part(ScheduledItem, [waiting], [ScheduledItem.publish_at, ScheduledItem.id], "scheduled")

    slots = [(number, column) for number, (columns, _) in enumerate(parts) for column in columns]
    starts: list[int] = []
    for k, (owner, _) in enumerate(slots):
        if owner == len(starts):
            starts.append(k + 3)
    branches = []
    for number, (columns, stmt) in enumerate(parts):
        sub = stmt.subquery(f"part{number}")
        own = iter(sub.c)
        cells = [
            next(own) if owner == number else cast(null(), column.type) for owner, column in slots
        ]
        n, total = list(sub.c)[len(columns) :]
        branches.append(
            select(
                literal_column(str(number), Integer).label("part"),
                n.label("n"),
                total.label("total"),
                *(cell.label(f"c{k}") for k, cell in enumerate(cells)),
            )
        )
    together = union_all(*branches).subquery("home")
    return select(together).order_by(together.c.part, together.c.n), starts


def _detached(model, row: Sequence):
    """`row` (`model`'s table's columns in order) as a read-only row whose attributes are
    named as `model`'s (a named tuple: ORM instances, even transient, cost an
    instrumented set per column, half of an admin's read with 20 sources)."""
    return _row_type(model)._make(row)


@functools.cache
def _row_type(model) -> type:
    """A named tuple of `model`'s columns that also has its Python properties (such as
    ScheduledItem.published_at, which blocks read)."""
    mapper = inspect(model)
    keys = [mapper.get_property_by_column(column).key for column in model.__table__.c]
    base = namedtuple(f"{model.__name__}Columns", keys)  # noqa: PYI024 - built from the model
    properties = {
        name: value
        for klass in reversed(model.__mro__)
        for name, value in vars(klass).items()
        if isinstance(value, property)
    }
    return type(f"{model.__name__}Row", (base,), {"__slots__": (), **properties})
