"""Scheduled digests: "daily 09:00" or "weekly mon 09:00" in the admin's timezone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.blocks.text import escape
from storage.models import SubscriptionMode

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")
USAGE = "`/coopnews subscribe digest daily 09:00` or `/coopnews subscribe digest weekly mon 09:00`"


class ScheduleError(ValueError):
    """The schedule as typed cannot be understood; the message says how to fix it."""


@dataclass(frozen=True)
class DigestSchedule:
    mode: SubscriptionMode  # DAILY or WEEKLY
    hour: int
    minute: int
    weekday: int | None = None  # 0 = Monday, weekly only

    @property
    def stored(self) -> str:
        """What subscriptions.schedule holds: "09:00" or "mon 09:00"."""
        at = f"{self.hour:02d}:{self.minute:02d}"
        return at if self.weekday is None else f"{DAYS[self.weekday]} {at}"


def parse_schedule(words: list[str]) -> tuple[DigestSchedule, list[str]]:
    """`daily HH:MM` or `weekly DAY HH:MM`; returns the schedule and the words left over."""
    if not words:
        raise ScheduleError(f"Say when the digest should come: {USAGE}.")
    try:
        mode = SubscriptionMode(words[0].lower())
    except ValueError:
        mode = None
    rest = words[1:]
    weekday = None
    if mode == SubscriptionMode.WEEKLY:
        if not rest or rest[0][:3].lower() not in DAYS:
            raise ScheduleError(f"Which day? For example {USAGE}.")
        weekday = DAYS.index(rest[0][:3].lower())
        rest = rest[1:]
    elif mode != SubscriptionMode.DAILY:
        raise ScheduleError(f"A digest is `daily` or `weekly`: {USAGE}.")
    if not rest:
        raise ScheduleError(f"At what time? For example {USAGE}.")
    hour, minute = parse_time(rest[0])
    return DigestSchedule(mode, hour, minute, weekday), rest[1:]


def parse_time(text: str) -> tuple[int, int]:
    match = _TIME.match(text.strip())
    if not match:
        raise ScheduleError(f"“{escape(text)}” is not a time: use 24-hour HH:MM, like 09:00.")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(f"“{escape(text)}” is not a time of day: use 00:00 to 23:59.")
    return hour, minute


def from_stored(mode: str, stored: str) -> DigestSchedule:
    words = stored.split()
    return parse_schedule([mode, *words])[0]


def iana_zone(name: str | None) -> str | None:
    """The IANA name if zoneinfo knows it, else None (unknown: digests follow UTC)."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def known_zone(name: str | None) -> str:
    """The IANA name if zoneinfo knows it, else "UTC" (what digests then follow)."""
    return iana_zone(name) or "UTC"


def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(known_zone(name))


def next_run(schedule: DigestSchedule, tz_name: str | None, after: datetime) -> datetime:
    """The first scheduled moment strictly after `after`, in UTC (DST-aware)."""
    tz = zone(tz_name)
    local_day = after.astimezone(tz).date()
    for offset in range(8):
        day = local_day + timedelta(days=offset)
        if schedule.weekday is not None and day.weekday() != schedule.weekday:
            continue
        candidate = datetime.combine(day, time(schedule.hour, schedule.minute), tzinfo=tz)
        if candidate > after:
            return candidate.astimezone(UTC)
    raise AssertionError("a daily or weekly time always recurs within 8 days")
