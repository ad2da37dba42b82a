"""The worker's feed polls: every minute, poll the sources that are due.

Each source has its own interval (default 30 minutes) and backoff; this tick
only decides how soon a due source is noticed.
"""

from __future__ import annotations

import logging

from bot.blocks.sources import failure_notice
from bot.curation.posted import update_posted
from bot.deps import Deps
from sources.fetch import FetchOptions
from sources.poller import poll_due
from storage.models import Source

log = logging.getLogger(__name__)

POLL_TICK_SECONDS = 60


def poll_sources_once(deps: Deps) -> list:
    """One pass: poll due sources; DM who answers for a source failing again and again."""

    def notify(source: Source) -> None:
        recipients = failure_recipients(source, deps.settings.admins)
        if not recipients:
            log.warning("source %s keeps failing and no admin can be told", source.id)
        for user_id in recipients:
            # A user ID as the channel opens the DM with the app.
            deps.client.chat_postMessage(channel=user_id, **failure_notice(source))

    options = FetchOptions(allow_private=deps.settings.allow_private_sources)
    outcomes = poll_due(deps.db, options, notify)
    for outcome in outcomes:
        if outcome.added:
            log.info("source %s: %s new item(s)", outcome.source_id, outcome.added)
        correct_posted(deps, outcome.corrected)
    return outcomes


def failure_recipients(source: Source, configured_admins: frozenset[str]) -> list[str]:
    """Who hears of a failing source: the admin who added it in Slack; for a source
    added from the terminal or an OPML file (no `created_by`), COOPNEWS_ADMINS."""
    return [source.created_by] if source.created_by else sorted(configured_admins)


def correct_posted(deps: Deps, item_ids: list[int]) -> None:
    """Messages already posted show what a feed has since corrected: apply the
    corrections the poll planned (chat.update, the path admin edits take) now; what
    Slack does not take now, the worker's corrections job retries. The one place
    polls correct messages."""
    for item_id in item_ids:
        try:
            update_posted(deps.client, deps.db, item_id)
        except Exception:  # one message's trouble must not stop the poll's others
            log.warning("could not correct messages of item %s", item_id, exc_info=True)
