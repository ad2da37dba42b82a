"""The worker's pruning of rows kept for a while: Slack event ids (storage.events,
a day) and `filtered` deliveries (storage.deliveries.prune_filtered, a week)."""

from __future__ import annotations

import logging

from bot.deps import Deps
from storage import deliveries
from storage.events import prune_events

log = logging.getLogger(__name__)

# Once an hour: what is pruned is kept for a day or a week.
PRUNE_TICK_SECONDS = 3600
# Batches of filtered deliveries per tick: 100 × 5,000 rows.
MAX_BATCHES = 100


def prune_kept_rows(deps: Deps) -> tuple[int, int]:
    """Prune; returns (event ids, filtered deliveries) removed. Filtered rows go in
    batches of storage.deliveries.PRUNE_BATCH, each its own short transaction, at most
    MAX_BATCHES a tick (the first tick after an upgrade may find millions). A failure
    propagates to the scheduler, which logs it; the next tick tries again (nothing is
    lost by waiting)."""
    with deps.db.transaction() as session:
        events = prune_events(session)
    filtered = 0
    for _ in range(MAX_BATCHES):
        with deps.db.transaction() as session:
            removed = deliveries.prune_filtered(session)
        filtered += removed
        if removed < deliveries.PRUNE_BATCH:
            break
    if events or filtered:
        log.info("pruned %d event ids and %d filtered deliveries", events, filtered)
    return events, filtered
