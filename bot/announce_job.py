"""The announcement pass on the worker's timetable, and COOPNEWS_CHANNEL at start."""

from __future__ import annotations

import logging

from apscheduler.schedulers.base import BaseScheduler
from slack_sdk.errors import SlackApiError

from bot.announcer import Announcer
from bot.channel_access import ensure_member
from bot.deps import Deps
from bot.follow_sender import FollowSender
from storage import subscriptions
from storage.types import utcnow

log = logging.getLogger(__name__)


def subscribe_configured_channel(deps: Deps) -> bool:
    """COOPNEWS_CHANNEL: subscribe it at first start (once; later changes are the admins')."""
    channel = deps.settings.channel
    if not channel:
        return False
    with deps.db.transaction() as session:
        created = subscriptions.ensure_subscription(session, channel)
    if created:
        log.info("subscribed %s (COOPNEWS_CHANNEL) to announcements", channel)
        try:
            access = ensure_member(deps.client, channel)
        except (SlackApiError, OSError) as exc:
            log.warning("could not check that I am in %s: %s", channel, exc)
        else:
            if not access.ok:
                log.warning("COOPNEWS_CHANNEL %s: %s", channel, access.explanation)
    return created


def install_announcer(scheduler: BaseScheduler, deps: Deps) -> None:
    subscribe_configured_channel(deps)
    announcer = Announcer(deps)
    follow_sender = FollowSender(deps)

    def announce() -> None:
        try:
            report = announcer.run_pass()
        except Exception:
            log.exception("announcement pass failed; the next one retries")
        else:
            if report.messages or report.recovered or report.released or report.paused:
                log.info("announcement pass: %s", report.line())
        # Personal follows after the channels: a separate pass, failing on its own.
        try:
            follow_report = follow_sender.run_pass()
        except Exception:
            log.exception("follow pass failed; the next one retries")
            return
        if follow_report.busy:
            log.info("follow pass: %s", follow_report.line())

    scheduler.add_job(
        announce,
        "interval",
        seconds=deps.settings.announce_interval,
        id="announce",
        next_run_time=utcnow(),
    )
