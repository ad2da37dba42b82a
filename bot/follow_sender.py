"""The follow pass: each new item matching a person's follow goes to them by DM, once.

Run by the worker's announcement job and `coopnews announce`, right after the
channel pass. One pass = plan rows for the new items (storage/follows.py),
then per person, in parallel threads: claim what may be sent now (at most
DAILY_CAP single DMs per local day; the rest held for one digest at
DIGEST_HOUR the next morning in their time zone), send, record each DM's
channel and ts in its own transaction right after Slack accepts it.

DMs are sent with `chat.postMessage` to the user ID (Slack opens the app's DM;
chat:write is enough) and carry their item ids in `metadata`. A row claimed
again after an expired claim may already be in Slack (a killed pass, a lost
answer): the pass then opens the DM (`conversations.open`, im:write) and reads
its history (`conversations.history` with `include_all_metadata`, im:history)
before sending; a DM found is recorded instead of sent again, and if the
history cannot be read nothing is resent.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.announcer import (
    CLAIM_SAFETY,
    MESSAGE_REJECTED,
    NETWORK_ERRORS,
    PACER,
    ChannelPacer,
    Planned,
    claims_left,
    slack_error,
)
from bot.blocks.announce import DIGEST_MAX_ITEMS
from bot.blocks.follows import FOLLOW_EVENT, follow_digest_message, follow_item_message
from bot.deps import Deps
from bot.digest_schedule import iana_zone, known_zone
from bot.slack_history import messages_since
from storage import follows
from storage.deliveries import announceable_items
from storage.follows import FollowClaim
from storage.types import utcnow

log = logging.getLogger(__name__)

# The rule: at most 10 DMs per person per day (their local day)...
DAILY_CAP = 10
# ...and the rest in one digest the next morning, at this hour of their time zone.
DIGEST_HOUR = 8
# users.info `tz` is read again after this long (people travel).
TIMEZONE_TTL = timedelta(days=1)
MAX_PARALLEL_PEOPLE = 16
# The person cannot get DMs from the app (left, deactivated, a bot): never retried.
PERSON_UNREACHABLE = {
    "user_not_found",
    "user_not_visible",
    "user_disabled",
    "cannot_dm_bot",
    "channel_not_found",
    "is_archived",
    "messages_tab_disabled",
}


def next_morning(zone: str, now: datetime) -> datetime:
    """DIGEST_HOUR on the day after `now`'s local day in `zone` (IANA), in UTC: when
    what went over a day's cap is sent (DST-aware)."""
    tz = ZoneInfo(zone)
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(tomorrow, clock_time(DIGEST_HOUR), tzinfo=tz).astimezone(UTC)


@dataclass
class FollowReport:
    messages: int = 0
    items: int = 0
    digests: int = 0
    recovered: int = 0
    released: int = 0
    failed: int = 0
    skipped: int = 0
    held: int = 0

    def add(self, other: FollowReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def line(self) -> str:
        return (
            f"follows: sent {self.items} item(s) in {self.messages} direct message(s) "
            f"({self.digests} digest(s)); {self.recovered} found already sent, "
            f"{self.released} left for a later pass, {self.failed} refused by Slack, "
            f"{self.skipped} skipped, {self.held} held for a morning digest"
        )

    @property
    def busy(self) -> bool:
        return bool(self.messages or self.recovered or self.released or self.failed or self.held)


class FollowSender:
    def __init__(
        self,
        deps: Deps,
        *,
        pacer: ChannelPacer = PACER,
        cap: int = DAILY_CAP,
        clock: Callable[[], datetime] = utcnow,
        max_parallel: int = MAX_PARALLEL_PEOPLE,
    ) -> None:
        self.deps = deps
        self.db = deps.db
        self.client = deps.client
        self.settings = deps.settings
        self.pacer = pacer
        self.cap = cap
        self.clock = clock
        self.max_parallel = max_parallel

    def run_pass(self) -> FollowReport:
        now = self.clock()
        with self.db.transaction() as session:
            follows.plan_follow_deliveries(session, now)
            skipped = follows.skip_unsendable(session)
        with self.db.reading() as session:
            people = follows.people_with_work(session, now)
        report = FollowReport(skipped=skipped)
        if people:
            workers = max(1, min(self.max_parallel, len(people)))
            with ThreadPoolExecutor(workers, thread_name_prefix="follows") as pool:
                for result in pool.map(lambda user: self._person_safely(user, now), people):
                    report.add(result)
        return report

    def _person_safely(self, user_id: str, now: datetime) -> FollowReport:
        try:
            return self._person(user_id, now)
        except Exception:
            log.exception("follow DMs to %s failed; their claims expire and are retried", user_id)
            return FollowReport()

    # -- one person ------------------------------------------------------------------
    def timezone(self, user_id: str, now: datetime) -> str:
        """The person's IANA zone: users.info `tz`, kept a day; UTC when unknown."""
        with self.db.reading() as session:
            known = follows.person(session, user_id)
            zone, checked = (known.timezone, known.timezone_checked_at) if known else (None, None)
        if checked is None or now - checked > TIMEZONE_TTL:
            try:
                user = self.deps.users.info(user_id)
            except NETWORK_ERRORS as exc:
                log.warning("users.info for %s: no answer (%s)", user_id, exc)
                user = None
            if user is not None:  # no answer: keep what we had, ask again next pass
                zone = iana_zone(user.get("tz"))
                with self.db.transaction() as session:
                    follows.set_timezone(session, user_id, zone, now)
        return known_zone(zone)

    def _person(self, user_id: str, now: datetime) -> FollowReport:
        report = FollowReport()
        zone = self.timezone(user_id, now)
        token = uuid.uuid4().hex
        timeout = self.settings.claim_timeout
        post_until = time.monotonic() + timeout - max(1.0, timeout * CLAIM_SAFETY)
        with self.db.transaction() as session:
            claim = follows.claim_for_person(
                session,
                user_id,
                token,
                timezone=zone,
                cap=self.cap,
                morning=next_morning(zone, now),
                timeout_seconds=timeout,
                now=now,
            )
        report.held = claim.held
        singles, digest = claim.singles, claim.digest
        claims = singles + digest
        if not claims:
            return report
        uncertain = [c for c in claims if c.uncertain]
        if uncertain:
            try:
                found = self._find_sent(user_id, uncertain)
            except SlackApiError as exc:
                error = slack_error(exc)
                if error in PERSON_UNREACHABLE:  # as when sending: never retried
                    log.warning("cannot DM %s (%s): their follow DMs are dropped", user_id, error)
                    with self.db.transaction() as session:
                        report.failed += follows.give_up(
                            session, [c.delivery_id for c in claims], token, error
                        )
                    return report
                return self._give_back(user_id, token, claims, error, report)
            except NETWORK_ERRORS as exc:
                return self._give_back(user_id, token, claims, f"network: {exc}", report)
            report.recovered += self._record_found(user_id, uncertain, found)
            singles = [c for c in singles if c.item_id not in found]
            digest = [c for c in digest if c.item_id not in found]
        with self.db.reading() as session:
            items = announceable_items(session, [c.item_id for c in singles + digest])
            chosen = follows.follows_by_id(session, [c.follow_id for c in singles])
            for follow in chosen.values():
                session.expunge(follow)
        gone = [c.delivery_id for c in singles + digest if c.item_id not in items]
        if gone:
            with self.db.transaction() as session:
                report.skipped += follows.skip(session, gone, token, "item retracted")
        plan = [
            Planned([c], follow_item_message(items[c.item_id], chosen.get(c.follow_id)), False)
            for c in singles
            if c.item_id in items
        ]
        waiting = [c for c in digest if c.item_id in items]
        for start in range(0, len(waiting), DIGEST_MAX_ITEMS):
            chunk = waiting[start : start + DIGEST_MAX_ITEMS]
            plan.append(Planned(chunk, follow_digest_message([items[c.item_id] for c in chunk]), True))
        for index, planned in enumerate(plan):
            ids = [c.delivery_id for c in planned.claims]
            if time.monotonic() > post_until:
                return self._give_back(
                    user_id, token, claims_left(plan, index), "claim about to expire", report
                )
            try:
                self.pacer.wait(user_id)
                try:
                    response = self.client.chat_postMessage(channel=user_id, **planned.message)
                finally:
                    self.pacer.done(user_id)
            except SlackApiError as exc:
                error = slack_error(exc)
                if error in MESSAGE_REJECTED:
                    log.error("Slack refused a follow DM for %s: %s", user_id, error)
                    with self.db.transaction() as session:
                        report.failed += follows.give_up(session, ids, token, error)
                    continue
                if error in PERSON_UNREACHABLE:
                    log.warning("cannot DM %s (%s): their follow DMs are dropped", user_id, error)
                    with self.db.transaction() as session:
                        report.failed += follows.give_up(
                            session, [c.delivery_id for c in claims_left(plan, index)], token, error
                        )
                    return report
                return self._give_back(user_id, token, claims_left(plan, index), error, report)
            except NETWORK_ERRORS as exc:
                return self._give_back(
                    user_id, token, claims_left(plan, index), f"network: {exc}", report
                )
            channel = response.get("channel") or user_id
            with self.db.transaction() as session:
                follows.record_sent(
                    session, ids, user_id, channel, response["ts"], digest=planned.digest
                )
            report.messages += 1
            report.items += len(ids)
            report.digests += int(planned.digest)
        return report

    def _give_back(
        self,
        user_id: str,
        token: str,
        claims: Sequence[FollowClaim],
        error: str,
        report: FollowReport,
    ) -> FollowReport:
        with self.db.transaction() as session:
            report.released += follows.release(session, [c.delivery_id for c in claims], token, error)
        log.warning("follow DMs to %s stopped for this pass: %s", user_id, error)
        return report

    # -- after an expired claim --------------------------------------------------------
    def _dm_channel(self, user_id: str) -> str:
        with self.db.reading() as session:
            known = follows.person(session, user_id)
            if known is not None and known.dm_channel:
                return known.dm_channel
        channel = self.client.conversations_open(users=user_id)["channel"]["id"]
        with self.db.transaction() as session:
            follows.set_dm_channel(session, user_id, channel)
        return channel

    def _find_sent(
        self, user_id: str, claims: Sequence[FollowClaim]
    ) -> dict[int, tuple[str, str, bool]]:
        """DMs already sent that show these items: item id -> (channel, ts, digest)."""
        channel = self._dm_channel(user_id)
        wanted = {c.item_id for c in claims}
        # The fake clock of a test may run ahead of Slack's: never look later than now.
        since = min(min(c.created_at for c in claims), utcnow()) - timedelta(minutes=1)
        found: dict[int, tuple[str, str, bool]] = {}
        for message in messages_since(self.client.conversations_history, since, channel=channel):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") != FOLLOW_EVENT:
                continue
            payload = metadata.get("event_payload") or {}
            for item_id in payload.get("item_ids") or []:
                if int(item_id) in wanted and int(item_id) not in found:
                    found[int(item_id)] = (channel, message["ts"], bool(payload.get("digest")))
            if len(found) == len(wanted):
                break
        return found

    def _record_found(
        self,
        user_id: str,
        claims: Sequence[FollowClaim],
        found: dict[int, tuple[str, str, bool]],
    ) -> int:
        by_message: dict[tuple[str, str, bool], list[int]] = {}
        for claim in claims:
            if claim.item_id in found:
                by_message.setdefault(found[claim.item_id], []).append(claim.delivery_id)
        recorded = 0
        with self.db.transaction() as session:
            for (channel, ts, digest), ids in by_message.items():
                recorded += follows.record_sent(session, ids, user_id, channel, ts, digest=digest)
        if recorded:
            log.info("%s: %d follow DM item(s) were already sent; recorded, not resent", user_id, recorded)
        return recorded


def run_follow_pass(deps: Deps) -> FollowReport:
    """One follow pass with the real clock (the worker and `coopnews announce`)."""
    return FollowSender(deps).run_pass()
