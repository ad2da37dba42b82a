"""Correcting what was already posted: the applier of durable corrections.

The store records which messages owe a `chat.update` (storage/corrections.py),
in the transaction that changed the item. Here they are applied: at once by the
request that made the change (`correct_posted`, or `update_posted`, the entry
point every writer calls after its commit), and again by the worker
(`retry_corrections`, on the worker's timetable) for those Slack did not take: a 5xx, a
rate limit or a dropped connection is retried with backoff; an answer Slack
will never change its mind about (message deleted, channel archived…) ends the
row, and the admin who asked (else the one who added the item's source) gets a
DM with a link to the message. Each message is rendered when applied, from the
item's state then, so several edits in a row reach Slack as one, the last.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.announce import (
    PLAIN,
    Style,
    announcement_message,
    day_label,
    digest_message,
    retraction_message,
    thread_parent_message,
)
from bot.blocks.corrections import correction_failed_notice
from bot.blocks.follows import corrected_dm
from bot.deps import Deps
from storage import corrections, daily_threads, deliveries, featured, follows, subscriptions
from storage.corrections import ClaimedCorrection
from storage.db import Database
from storage.models import Delivery, Item
from storage.types import utcnow

log = logging.getLogger(__name__)

RETRY_TICK_SECONDS = 15
# chat.update errors that a later try may not get (Slack's docs: chat.update "Errors").
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


@dataclass
class Applied:
    """What one application did: messages updated, still owed (and when next), given up."""

    updated: int = 0
    retry_at: list[datetime] = field(default_factory=list)
    failed: int = 0

    @property
    def retrying(self) -> int:
        return len(self.retry_at)


def render(session, claim: ClaimedCorrection) -> dict | None:
    """What the message should now say; None when nothing shows it any more."""
    item = session.get(Item, claim.item_id) if claim.item_id is not None else None
    if item is None:
        return None
    day = daily_threads.day_of(session, claim.channel_id, claim.message_ts)
    if day is not None:  # a daily thread's parent: its count, without retracted items
        count = daily_threads.replies_posted(session, claim.channel_id, claim.message_ts)
        return thread_parent_message(day, day_label(date.fromisoformat(day)), count)
    dm = follows.sent_dm(session, claim.channel_id, claim.message_ts)
    if dm is not None:  # a follow's DM (bot/follow_sender.py)
        return corrected_dm(item, dm)
    digest = session.scalar(
        Delivery.__table__.select()
        .with_only_columns(Delivery.digest)
        .where(Delivery.channel_id == claim.channel_id, Delivery.message_ts == claim.message_ts)
        .limit(1)
    )
    # The channel's format stays (no mention: an edit notifies nobody).
    sub = subscriptions.get_subscription(session, claim.channel_id)
    style = Style(sub.format or PLAIN.format, bool(sub.previews)) if sub else PLAIN
    if digest:
        others = deliveries.digest_items(session, claim.channel_id, claim.message_ts)
        if not others:
            return retraction_message(item)
        return digest_message(others, style, featured.current_id(session))
    if item.retracted_at is not None:
        return retraction_message(item)
    return announcement_message(item, style)


def apply_corrections(
    client: WebClient, db: Database, item_id: int | None = None, now: datetime | None = None
) -> Applied:
    """Claim the due corrections (of one item, or all) and send each chat.update once."""
    now = now or utcnow()
    applied = Applied()
    with db.transaction() as session:
        claims = corrections.claim_due(session, now, item_id=item_id)
    for claim in claims:
        with db.reading() as session:
            message = render(session, claim)
        content = _content_hash(message) if message is not None else None
        if message is None or content == claim.applied_hash:
            # Nothing shows it any more, or Slack already has exactly this: send nothing.
            with db.transaction() as session:
                corrections.record_applied(session, claim, now)
            continue
        error, transient = _send(client, claim, message)
        with db.transaction() as session:
            if error is None:
                corrections.record_applied(session, claim, utcnow(), content)
                applied.updated += 1
                continue
            if transient:
                when = corrections.record_retry(session, claim, error, max(now, utcnow()))
                if when is not None:
                    applied.retry_at.append(when)
                    log.info(
                        "correction of %s in %s: %s, retry at %s",
                        claim.message_ts,
                        claim.channel_id,
                        error,
                        when,
                    )
                    continue
            else:
                corrections.record_failed(session, claim, error, utcnow())
            admin = corrections.who_to_tell(session, claim)
        applied.failed += 1
        log.warning(
            "correction of %s in %s given up: %s", claim.message_ts, claim.channel_id, error
        )
        _tell(client, admin, claim, error)
    return applied


def _content_hash(message: dict) -> str:
    return hashlib.sha256(json.dumps(message, sort_keys=True, default=str).encode()).hexdigest()


def _send(client: WebClient, claim: ClaimedCorrection, message: dict) -> tuple[str | None, bool]:
    """(error, transient): (None, False) when Slack accepted the update."""
    try:
        client.chat_update(
            channel=claim.channel_id,
            ts=claim.message_ts,
            text=message["text"],
            blocks=message["blocks"],
            metadata=message.get("metadata"),
        )
        return None, False
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown error")
        status = exc.response.status_code
        if status and status >= 500:
            return f"HTTP {status} ({error})", True
        return error, error in TRANSIENT_ERRORS
    except Exception as exc:  # connection refused, dropped, timed out: Slack never answered
        return f"no answer from Slack ({type(exc).__name__})", True


def _tell(client: WebClient, admin: str | None, claim: ClaimedCorrection, error: str) -> None:
    # A DM (`D…`) is a follow's, private to its person: the admin is not told of it.
    if not admin or claim.channel_id.startswith("D"):
        return
    permalink = None
    try:
        permalink = client.chat_getPermalink(
            channel=claim.channel_id, message_ts=claim.message_ts
        ).get("permalink")
    except Exception:
        log.info("no permalink for %s in %s", claim.message_ts, claim.channel_id)
    try:
        client.chat_postMessage(
            channel=admin, **correction_failed_notice(claim.channel_id, permalink, error)
        )
    except Exception:
        log.warning("could not tell %s that a correction failed", admin, exc_info=True)


def correct_posted(
    client: WebClient, db: Database, item_id: int, requested_by: str | None = None
) -> Applied:
    """After a committed change to an item: make sure its messages owe a correction
    (planning again is harmless: content Slack already has is not sent again) and
    apply what can be applied now; the worker retries the rest."""
    with db.transaction() as session:
        corrections.plan_corrections(session, item_id, requested_by)
    return apply_corrections(client, db, item_id=item_id)


def update_posted(client: WebClient, db: Database, item_id: int) -> int:
    """The entry point for writers (curation, feed corrections): returns how many
    messages Slack accepted now; the rest are retried by the worker."""
    return correct_posted(client, db, item_id).updated


def retry_corrections(deps: Deps) -> Applied:
    """The worker's pass over corrections whose retry is due."""
    return apply_corrections(deps.client, deps.db)
