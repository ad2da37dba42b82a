"""The worker's timetable (APScheduler): announcement passes, feed polls, corrections,
pruning.

`build_scheduler` lists every job, as `register_listeners` lists every listener
kind, so the worker, `coopnews run` and tests share one schedule. Job modules
install their jobs with `install(scheduler, deps)` and never import this one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot import announce_job, housekeeping, source_polling
from bot.curation import posted
from bot.deps import Deps
from storage.types import utcnow

log = logging.getLogger(__name__)


def install_heartbeat(scheduler: BaseScheduler, deps: Deps) -> None:
    def beat() -> None:
        if not deps.db.ping():
            log.warning("worker heartbeat: the database does not answer")

    scheduler.add_job(beat, "interval", seconds=60, id="heartbeat", coalesce=True)


def build_scheduler(deps: Deps, blocking: bool) -> BaseScheduler:
    """A scheduler (BlockingScheduler for the worker, else BackgroundScheduler, UTC)
    with every job of the worker installed, not yet started."""
    # One run of a job at a time; a late run is merged, not queued up.
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(job_defaults=defaults, timezone="UTC")

    def every(seconds: int, job: Callable[[Deps], object], job_id: str) -> None:
        scheduler.add_job(
            job, "interval", args=[deps], seconds=seconds, id=job_id, next_run_time=utcnow()
        )

    install_heartbeat(scheduler, deps)
    announce_job.install_announcer(scheduler, deps)  # announcement passes and digests
    # Corrections Slack did not take at once (5xx, rate limits), when their retry is due.
    every(posted.RETRY_TICK_SECONDS, posted.retry_corrections, "retry-corrections")
    every(source_polling.POLL_TICK_SECONDS, source_polling.poll_sources_once, "poll-sources")
    # Rows kept for a while (event ids, filtered deliveries), pruned hourly.
    every(housekeeping.PRUNE_TICK_SECONDS, housekeeping.prune_kept_rows, "prune-kept")
    return scheduler
