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


def prune_kept_rows(deps: Deps) -> tuple[int, int]:
    """Prune in one transaction; returns (event ids, filtered deliveries) removed.
    A failure is logged and retried at the next tick (nothing is lost by waiting)."""
    with deps.db.transaction() as session:
        events = prune_events(session)
        filtered = deliveries.prune_filtered(session)
    if events or filtered:
        log.info("pruned %d event ids and %d filtered deliveries", events, filtered)
    return events, filtered
