"""The announcer: one pass = plan deliveries, claim them per channel, post, record.

Channels are handled in parallel threads; within a channel, messages are
paced to one per second (Slack's chat.postMessage limit per channel). A
post is recorded in its own transaction right after Slack accepts it; what
happens between those two moments (a kill, a dropped connection) is
settled by the next claim of the row, which reads the channel's history
before posting again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.client import HTTPException

from slack_sdk.errors import SlackApiError

from bot.blocks.announce import (
    DIGEST_EVENT,
    DIGEST_MAX_ITEMS,
    ITEM_EVENT,
    THREAD_EVENT,
    Style,
    announcement_message,
    day_label,
    digest_message,
    thread_parent_message,
)
from bot.blocks.subscriptions import describe_problem, paused_notice
from bot.channel_rules import mention_from_stored
from bot.deps import Deps
from bot.digest_schedule import from_stored, next_run, zone
from bot.scheduled_publishing import publish_due
from bot.slack_history import messages_since
from storage import daily_threads, deliveries, featured, subscriptions
from storage.deliveries import Claim
from storage.models import Subscription, SubscriptionMode
from storage.types import utcnow

log = logging.getLogger(__name__)

# Slack: "1 message per second per channel, short bursts allowed", counted
# from each answer (see ChannelPacer.done), with a hair of margin.
PACE_SECONDS = 1.005
MAX_PARALLEL_CHANNELS = 32
# The channel is gone for us: pause the subscription, tell its admin, move on.
CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived"}
# Slack will never accept this message: retrying it cannot help.
MESSAGE_REJECTED = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "too_many_attachments",
    "invalid_metadata_format",
    "invalid_metadata_schema",
    "metadata_too_large",
}
# The part of a claim's lifetime kept free of posting (see _channel).
CLAIM_SAFETY = 0.2
# Slack will not let us read or post until an admin fixes the app: say so in the list.
NEEDS_ADMIN = {
    "missing_scope",
    "not_authed",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "not_allowed_token_type",
}
# A reply's parent is not in Slack any more (deleted): chat.postMessage's error.
THREAD_GONE = "thread_not_found"
# The connection dropped or timed out: Slack may or may not have the message.
NETWORK_ERRORS = (OSError, HTTPException)
# Another pass is posting the day's thread parent: wait this long for its ts
# (in steps), then leave the items for a later pass.
THREAD_WAIT_SECONDS = 3.0
THREAD_WAIT_STEP = 0.1
# A thread's count is checked again after its update at most this many times.
THREAD_RECOUNTS = 4
SURELY_NOT_POSTED = CHANNEL_GONE | NEEDS_ADMIN | MESSAGE_REJECTED | {"ratelimited"}
# A channel's announcements carry its mention at most once per this.
MENTION_EVERY = timedelta(hours=1)


class ChannelPacer:
    """At most one message per `interval` seconds per channel, shared by all threads."""

    def __init__(
        self,
        interval: float = PACE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel_id: str) -> None:
        """Sleep until the channel's next slot; reserve it (under the lock, sleep outside)."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(channel_id, now))
            self._next[channel_id] = slot + self.interval
        if slot > now:
            self._sleep(slot - now)

    def done(self, channel_id: str) -> None:
        """Count the interval from Slack's answer: a slow request cannot bunch two posts."""
        with self._lock:
            now = self._clock()
            self._next[channel_id] = max(self._next.get(channel_id, now), now + self.interval)


# One per process: passes that follow each other keep the channel's pace.
PACER = ChannelPacer()


@dataclass
class PassReport:
    messages: int = 0
    items: int = 0
    recovered: int = 0  # found already posted in the history after an expired claim
    released: int = 0  # given back for a later pass (5xx, dropped connection, 429s)
    failed: int = 0
    skipped: int = 0
    paused: list[str] = field(default_factory=list)

    def add(self, other: PassReport) -> None:
        self.messages += other.messages
        self.items += other.items
        self.recovered += other.recovered
        self.released += other.released
        self.failed += other.failed
        self.skipped += other.skipped
        self.paused += other.paused

    def line(self) -> str:
        text = (
            f"announced {self.items} item(s) in {self.messages} message(s); "
            f"{self.recovered} found already posted, {self.released} left for a later pass, "
            f"{self.failed} refused by Slack, {self.skipped} skipped"
        )
        if self.paused:
            text += f"; paused: {', '.join(self.paused)}"
        return text


@dataclass(frozen=True)
class Planned:
    """One message to post and the claimed rows it settles."""

    claims: list[Claim]
    message: dict
    digest: bool


@dataclass(frozen=True)
class Thread:
    """A channel's daily thread: its parent's ts, the day (ISO) and how it is shown."""

    parent_ts: str
    day: str
    label: str


@dataclass
class ChannelPass:
    """One pass over one channel: its subscription, the claim token, when posting
    must stop (time.monotonic() seconds) and what was done."""

    sub: Subscription
    token: str
    post_until: float
    report: PassReport = field(default_factory=PassReport)
    # When this pass took the channel's hourly mention slot (None: it did not).
    mention_at: datetime | None = None

    @property
    def channel(self) -> str:
        return self.sub.channel_id


# A message found in the channel: (ts, digest, the thread parent it replies to).
Found = tuple[str, bool, "str | None"]


def claims_left(plan: Sequence[Planned], index: int) -> list[Claim]:
    """The claims of plan[index:], the messages not posted yet."""
    return [c for planned in plan[index:] for c in planned.claims]


def slack_error(exc: SlackApiError) -> str:
    response = exc.response
    return response.get("error") or f"http_{getattr(response, 'status_code', 'error')}"


class Announcer:
    def __init__(
        self,
        deps: Deps,
        *,
        pacer: ChannelPacer = PACER,
        max_parallel: int = MAX_PARALLEL_CHANNELS,
    ) -> None:
        self.deps = deps
        self.db = deps.db
        self.client = deps.client
        self.settings = deps.settings
        self.pacer = pacer
        self.max_parallel = max_parallel

    # -- one pass ------------------------------------------------------------
    def run_pass(self) -> PassReport:
        now = utcnow()
        publish_due(self.deps, now)  # scheduled items whose time has come become items
        with self.db.transaction() as session:
            deliveries.plan_deliveries(session, now)
            skipped = deliveries.skip_unannounceable(session)
        with self.db.reading() as session:
            channels = list(deliveries.channels_with_work(session, now))
            idle_digests = list(deliveries.due_digests_without_work(session, now))
        for sub in idle_digests:
            self._advance_digest(sub, now)
        report = PassReport(skipped=skipped)
        if channels:
            workers = max(1, min(self.max_parallel, len(channels)))
            with ThreadPoolExecutor(workers, thread_name_prefix="announce") as pool:
                for result in pool.map(self._channel_safely, channels):
                    report.add(result)
        return report

    def _channel_safely(self, sub: Subscription) -> PassReport:
        # One channel's trouble (even a database hiccup) must not stop the others.
        try:
            return self._channel(sub)
        except Exception:
            log.exception(
                "announcing to %s failed; its claims expire and are retried", sub.channel_id
            )
            return PassReport()

    # -- one channel -----------------------------------------------------------
    def _claim_limit(self, sub: Subscription) -> int:
        # Posting paced at ~1/s must finish well inside the claim's lifetime.
        messages = max(1, self.settings.claim_timeout // 2)
        digests = sub.mode != SubscriptionMode.INSTANT or self.settings.digest_threshold > 0
        return messages * DIGEST_MAX_ITEMS if digests else messages

    def _channel(self, sub: Subscription) -> PassReport:
        channel = sub.channel_id
        token = uuid.uuid4().hex
        # Stop posting well before the claim expires: after that another pass may
        # take the rows over, and both posting would show an item twice.
        timeout = self.settings.claim_timeout
        run = ChannelPass(sub, token, time.monotonic() + timeout - max(1.0, timeout * CLAIM_SAFETY))
        report = run.report
        with self.db.transaction() as session:
            claims = deliveries.claim_deliveries(
                session,
                channel,
                token,
                timeout_seconds=self.settings.claim_timeout,
                limit=self._claim_limit(sub),
            )
        if not claims:
            return report
        uncertain = [c for c in claims if c.uncertain]
        if uncertain:
            try:
                found = self._find_posted(channel, uncertain, threaded=bool(sub.thread))
            except SlackApiError as exc:
                return self._give_back(run, claims, slack_error(exc))
            except NETWORK_ERRORS as exc:
                return self._give_back(run, claims, f"network: {exc}")
            report.recovered += self._record_found(channel, uncertain, found)
            claims = [c for c in claims if c.item_id not in found]
            # Replies a lost pass posted are counted by their parent (it may still say
            # "no items yet"), posted here or not.
            recovered_in = {reply_to for _, _, reply_to in found.values() if reply_to}
        else:
            recovered_in = set()
        with self.db.reading() as session:
            items = deliveries.announceable_items(session, [c.item_id for c in claims])
            featured_id = featured.current_id(session)
        gone = [c.delivery_id for c in claims if c.item_id not in items]
        if gone:
            with self.db.transaction() as session:
                report.skipped += deliveries.skip(session, gone, token, "item retracted")
        claims = [c for c in claims if c.item_id in items]
        thread = None
        if sub.thread == "daily" and claims:
            try:
                thread = self._daily_thread(run)
            except SlackApiError as exc:
                return self._give_back(run, claims, slack_error(exc))
            except NETWORK_ERRORS as exc:
                return self._give_back(run, claims, f"network: {exc}")
            if thread is None:
                return self._give_back(run, claims, "another pass is starting the daily thread")
        style = self._style(run) if claims else None
        plan = self._plan_messages(sub, claims, items, style, featured_id)
        for index, planned in enumerate(plan):
            ids = [c.delivery_id for c in planned.claims]
            if time.monotonic() > run.post_until:
                if index == 0:
                    self._unclaim_mention(run)
                return self._give_back(run, claims_left(plan, index), "claim about to expire")
            message = planned.message
            if thread is not None:
                message = {**message, "thread_ts": thread.parent_ts}
            try:
                self.pacer.wait(channel)
                try:
                    response = self.client.chat_postMessage(channel=channel, **message)
                finally:
                    self.pacer.done(channel)
            except SlackApiError as exc:
                error = slack_error(exc)
                if index == 0 and error in SURELY_NOT_POSTED:
                    self._unclaim_mention(run)  # its mention was never seen
                if error in MESSAGE_REJECTED:
                    log.error("Slack refused a message for %s: %s", channel, error)
                    with self.db.transaction() as session:
                        report.failed += deliveries.give_up(session, ids, token, error)
                    continue
                if thread is not None and error == THREAD_GONE:
                    # The parent was deleted in Slack: the next pass starts a new one.
                    log.warning("%s: the daily thread %s is gone", channel, thread.parent_ts)
                    with self.db.transaction() as session:
                        daily_threads.forget_parent(session, channel, thread.parent_ts)
                return self._give_back(run, claims_left(plan, index), error)
            except NETWORK_ERRORS as exc:
                return self._give_back(run, claims_left(plan, index), f"network: {exc}")
            with self.db.transaction() as session:
                deliveries.record_posted(
                    session,
                    ids,
                    channel,
                    response["ts"],
                    digest=planned.digest,
                    thread_ts=thread.parent_ts if thread else None,
                )
            report.messages += 1
            report.items += len(ids)
        if thread is not None and report.items:
            self._count_thread(channel, thread)
            recovered_in.discard(thread.parent_ts)
        for parent_ts in sorted(recovered_in):
            self._recount_thread(channel, parent_ts)
        if sub.mode != SubscriptionMode.INSTANT and sub.next_digest_at is not None:
            self._advance_digest(sub, utcnow())
        return report

    def _style(self, run: ChannelPass) -> Style:
        """The channel's format and previews; its mention only if the hourly slot is free
        (claimed in the database, so racing passes mention once)."""
        sub = run.sub
        mention = mention_from_stored(sub.mention)
        markup = None
        if mention is not None:
            now = utcnow()
            with self.db.transaction() as session:
                if subscriptions.claim_mention(session, sub.channel_id, MENTION_EVERY, now):
                    markup = mention.markup
                    run.mention_at = now
        return Style(sub.format or "full", bool(sub.previews), markup)

    def _unclaim_mention(self, run: ChannelPass) -> None:
        """The first message, which carried the mention, surely never reached Slack: the
        hour's slot is given back, so the next match is mentioned."""
        if run.mention_at is None:
            return
        with self.db.transaction() as session:
            subscriptions.release_mention(session, run.channel, run.mention_at)
        run.mention_at = None

    def _plan_messages(
        self,
        sub: Subscription,
        claims: Sequence[Claim],
        items: dict,
        style: Style | None = None,
        featured_id: int | None = None,
    ) -> list[Planned]:
        """Messages for the claims; the mention (if any) on the first one only."""
        style = style or Style()
        quiet = Style(style.format, style.previews)
        threshold = self.settings.digest_threshold
        as_digest = sub.mode != SubscriptionMode.INSTANT or (threshold > 0 and len(claims) > threshold)
        plan = []
        if not as_digest:
            for n, c in enumerate(claims):
                message = announcement_message(items[c.item_id], style if n == 0 else quiet)
                plan.append(Planned([c], message, False))
            return plan
        for start in range(0, len(claims), DIGEST_MAX_ITEMS):
            chunk = list(claims[start : start + DIGEST_MAX_ITEMS])
            message = digest_message(
                [items[c.item_id] for c in chunk], style if start == 0 else quiet, featured_id
            )
            plan.append(Planned(chunk, message, True))
        return plan

    # -- the daily thread --------------------------------------------------------
    def _daily_thread(self, run: ChannelPass) -> Thread | None:
        """Today's parent in the channel (the subscription's time zone, else UTC),
        posted exactly once: claimed in the database; after an expired claim, looked
        for in the history first. None: another pass is posting it right now."""
        channel = run.channel
        today = utcnow().astimezone(zone(run.sub.timezone)).date()
        day, label = today.isoformat(), day_label(today)
        with self.db.transaction() as session:
            state = daily_threads.claim_thread(
                session, channel, day, run.token, timeout_seconds=self.settings.claim_timeout
            )
        if state.parent_ts:
            return Thread(state.parent_ts, day, label)
        if not state.claimed:
            deadline = time.monotonic() + THREAD_WAIT_SECONDS
            while time.monotonic() < deadline:
                time.sleep(THREAD_WAIT_STEP)
                with self.db.reading() as session:
                    parent = daily_threads.parent_of(session, state.thread_id)
                if parent:
                    return Thread(parent, day, label)
            return None
        if state.uncertain:
            found = self._find_parent(channel, day, today)
            if found:
                log.info("%s: the daily thread of %s was already posted; recorded", channel, day)
                with self.db.transaction() as session:
                    daily_threads.record_parent(session, state.thread_id, found)
                run.report.recovered += 1
                return Thread(found, day, label)
        try:
            self.pacer.wait(channel)
            try:
                response = self.client.chat_postMessage(
                    channel=channel, **thread_parent_message(day, label, 0)
                )
            finally:
                self.pacer.done(channel)
        except SlackApiError as exc:
            # Only when Slack surely has no parent: else the claim expires and the
            # next pass looks in the history first.
            if slack_error(exc) in SURELY_NOT_POSTED:
                with self.db.transaction() as session:
                    daily_threads.release_thread(session, state.thread_id, run.token)
            raise
        with self.db.transaction() as session:
            daily_threads.record_parent(session, state.thread_id, response["ts"])
        return Thread(response["ts"], day, label)

    def _find_parent(self, channel: str, day: str, today) -> str | None:
        """The parent of `day` already in the channel (its metadata names the day)."""
        start = datetime.combine(today, datetime.min.time(), tzinfo=UTC) - timedelta(days=1)
        for message in messages_since(self.client.conversations_history, start, channel=channel):
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == THREAD_EVENT and payload.get("day") == day:
                return message["ts"]
        return None

    def _count_thread(self, channel: str, thread: Thread) -> None:
        """The parent counts the thread's items (chat.update; a failure is retried by the
        next pass that posts there). Racing passes may reach Slack in any order, so
        after its update a pass counts again and, if replies were recorded meanwhile,
        updates again: whoever writes last has checked that its count is current."""
        sent = None
        for _ in range(THREAD_RECOUNTS):
            with self.db.reading() as session:
                count = daily_threads.replies_posted(session, channel, thread.parent_ts)
            if count == sent:
                return
            try:
                self.client.chat_update(
                    channel=channel,
                    ts=thread.parent_ts,
                    **thread_parent_message(thread.day, thread.label, count),
                )
            except (SlackApiError, *NETWORK_ERRORS) as exc:
                log.warning("could not update the daily thread's count in %s: %s", channel, exc)
                return
            sent = count

    def _recount_thread(self, channel: str, parent_ts: str) -> None:
        """Update the count of the thread under `parent_ts` (a recorded daily parent)."""
        with self.db.reading() as session:
            day = daily_threads.day_of(session, channel, parent_ts)
        if day is None:
            return
        self._count_thread(channel, Thread(parent_ts, day, day_label(date.fromisoformat(day))))

    def _give_back(self, run: ChannelPass, claims: Sequence[Claim], error: str) -> PassReport:
        """Give this channel's remaining claims back for a later pass and stop this
        one; pause the subscription if the channel is gone. Returns the run's report."""
        sub, token, report = run.sub, run.token, run.report
        ids = [c.delivery_id for c in claims]
        with self.db.transaction() as session:
            report.released += deliveries.release(session, ids, token, error)
            paused = None
            if error in CHANNEL_GONE:
                problem = f"{describe_problem(error)} ({error})"
                paused = subscriptions.pause_subscription(session, sub.channel_id, problem)
            elif error in NEEDS_ADMIN:
                problem = f"Slack refuses the app ({error}): check its scopes and token"
                subscriptions.note_problem(session, sub.channel_id, problem)
        if paused is not None:
            report.paused.append(sub.channel_id)
            self._tell_admin(paused, error)
        else:
            log.warning("announcing to %s stopped for this pass: %s", sub.channel_id, error)
        return report

    def _tell_admin(self, sub: Subscription, error: str) -> None:
        log.warning("subscription of %s paused: %s", sub.channel_id, error)
        if not sub.created_by:
            return
        try:
            self.client.chat_postMessage(
                channel=sub.created_by, **paused_notice(sub.channel_id, error)
            )
        except (SlackApiError, *NETWORK_ERRORS):
            log.warning("could not tell %s that %s was paused", sub.created_by, sub.channel_id)

    # -- after an expired claim ------------------------------------------------
    def _find_posted(
        self, channel: str, claims: Sequence[Claim], threaded: bool = False
    ) -> dict[int, Found]:
        """Messages already in the channel that show these items: item id -> (ts, digest,
        thread_ts). Replies are not in conversations.history: with a daily thread, the
        recent parents' replies are read too (conversations.replies)."""
        wanted = {c.item_id for c in claims}
        since = min(c.created_at for c in claims) - timedelta(minutes=1)
        found: dict[int, Found] = {}
        self._scan(self.client.conversations_history, {"channel": channel}, since, wanted, found)
        if threaded and len(found) < len(wanted):
            with self.db.reading() as session:
                parents = daily_threads.recent_parents(session, channel, since - timedelta(days=1))
            for parent in parents:
                try:
                    self._scan(
                        self.client.conversations_replies,
                        {"channel": channel, "ts": parent},
                        since,
                        wanted,
                        found,
                    )
                except SlackApiError as exc:
                    if slack_error(exc) != THREAD_GONE:
                        raise
                    # Deleted with its replies: nothing of ours is there; a new parent
                    # is posted when that day's thread is needed again.
                    log.warning("%s: the daily thread %s is gone", channel, parent)
                    with self.db.transaction() as session:
                        daily_threads.forget_parent(session, channel, parent)
                if len(found) == len(wanted):
                    break
        return found

    def _scan(self, method, params: dict, since: datetime, wanted: set, found: dict) -> None:
        for message in messages_since(method, since, **params):
            thread_ts = message.get("thread_ts")
            reply_to = thread_ts if thread_ts and thread_ts != message["ts"] else None
            for item_id, digest in _items_shown(message):
                if item_id in wanted and item_id not in found:
                    found[item_id] = (message["ts"], digest, reply_to)
            if len(found) == len(wanted):
                return

    def _record_found(self, channel: str, claims: Sequence[Claim], found: dict[int, Found]) -> int:
        by_message: dict[Found, list[int]] = {}
        for claim in claims:
            if claim.item_id in found:
                by_message.setdefault(found[claim.item_id], []).append(claim.delivery_id)
        recorded = 0
        with self.db.transaction() as session:
            for (ts, digest, thread_ts), ids in by_message.items():
                recorded += deliveries.record_posted(
                    session, ids, channel, ts, digest=digest, thread_ts=thread_ts
                )
        if recorded:
            log.info(
                "%s: %d item(s) were already posted; recorded, not reposted", channel, recorded
            )
        return recorded

    def _advance_digest(self, sub: Subscription, now: datetime) -> None:
        if sub.next_digest_at is None or not sub.schedule:
            return
        schedule = from_stored(sub.mode, sub.schedule)
        following = next_run(schedule, sub.timezone, max(now, sub.next_digest_at))
        with self.db.transaction() as session:
            subscriptions.advance_digest(session, sub.channel_id, sub.next_digest_at, following)


def _items_shown(message: dict) -> list[tuple[int, bool]]:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    if metadata.get("event_type") == ITEM_EVENT and "item_id" in payload:
        return [(int(payload["item_id"]), False)]
    if metadata.get("event_type") == DIGEST_EVENT:
        return [(int(i), True) for i in payload.get("item_ids") or []]
    return []


def run_pass(deps: Deps) -> PassReport:
    return Announcer(deps).run_pass()
