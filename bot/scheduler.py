"""The worker's timetable (APScheduler): announcement passes, feed polls, digests.

Features add their jobs through JOB_INSTALLERS, so the worker, `coopnews run`
and tests share one schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.deps import Deps

log = logging.getLogger(__name__)

JobInstaller = Callable[[BaseScheduler, Deps], None]
JOB_INSTALLERS: list[JobInstaller] = []


def job_installer(func: JobInstaller) -> JobInstaller:
    JOB_INSTALLERS.append(func)
    return func


@job_installer
def _heartbeat(scheduler: BaseScheduler, deps: Deps) -> None:
    def beat() -> None:
        if not deps.db.ping():
            log.warning("worker heartbeat: the database does not answer")

    scheduler.add_job(beat, "interval", seconds=60, id="heartbeat", coalesce=True)


def build_scheduler(deps: Deps, blocking: bool) -> BaseScheduler:
    # One run of a job at a time; a late run is merged, not queued up.
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(job_defaults=defaults, timezone="UTC")
    _load_job_modules()
    for install in JOB_INSTALLERS:
        install(scheduler, deps)
    return scheduler


def _load_job_modules() -> None:
    """Import the modules whose @job_installer functions make up the schedule."""
    # Features append their job modules here.
    import bot.announce_job  # noqa: F401 - announcement passes
    import bot.curation.posted  # noqa: F401 - corrections Slack did not take at once
    import bot.source_polling  # noqa: F401 - feed polls
