"""Each Slack event is handled once, however many times Slack delivers it.

Slack redelivers an event (same event_id, X-Slack-Retry-Num header) when it
thinks we were slow. The event id is claimed in the database before any
listener runs, so a redelivery to any web worker or process is acked and
dropped. On PostgreSQL the claim commits without waiting for the disk
(storage.events.claim_event says why that is safe). A failed claim (database
down) raises: Slack gets an error and retries later, when the claim can succeed.
A read-only store is different: no claim can succeed for as long as it lasts,
and nothing can be written twice either, so the event is handled unclaimed (the
App Home still opens).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from sqlalchemy.exc import SQLAlchemyError

from bot.deps import Deps
from storage.events import claim_event, prune_events

log = logging.getLogger(__name__)


class Pruning:
    """Old event ids are forgotten at most once a minute per process, not at every
    event (a statement fewer on App Home's path); a day's ids are kept either way."""

    EVERY = 60.0

    def __init__(self) -> None:
        self.next_at = 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now < self.next_at:
            return False
        self.next_at = now + self.EVERY
        return True


class EachEventOnce(Middleware):
    """Global middleware: claim an event's id before any listener runs (see module).
    A Middleware subclass: Bolt builds a function middleware's arguments by name for
    every request, commands included, which cost more than this check."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.pruning = Pruning()

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        return handle_each_event_once(self.deps, self.pruning, req.body, next)


def register(app: App, deps: Deps) -> None:
    app.use(EachEventOnce(deps))


def handle_each_event_once(
    deps: Deps, pruning: Pruning, body: dict, next: Callable[[], BoltResponse]
) -> BoltResponse | None:
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if not event_id:
        return next()
    try:
        # A transaction of its own, committed asynchronously on PostgreSQL (see claim_event).
        first = claim_event(deps.db, str(event_id)[:100])
        if first and pruning.due():
            with deps.db.transaction() as session:  # committed as any write
                prune_events(session)
    except SQLAlchemyError:
        if deps.db.health() != "read-only":
            raise
        log.warning("event %s handled unclaimed: the store is read-only", event_id)
        return next()
    if not first:
        log.info("event %s already handled; dropping this redelivery", event_id)
        return BoltResponse(status=200, body="")
    return next()
