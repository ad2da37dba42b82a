"""Publication dates as feeds write them -> aware UTC datetimes, or None.

Never a wrong date: a date is read only when it can be read with confidence,
else the caller dates the entry when first seen, with a warning.

Order: the two forms nearly every feed writes, read from their parts (`_common`,
the general way's answers), then RFC 822 (RSS 2.0's pubDate, via the standard
library, any day name, obsolete zone names such as EST), then python-dateutil for
the rest (ISO
8601, `2026/11/20 15:07:41`, `2026/11/9`, `20.11.2026`). A missing zone is
UTC. A dotted date is day first (European usage); a slashed date with the
year last and both other parts 12 or less (`03/04/2026`) is ambiguous and
not read. feedparser's own date parsing is not used: it reads
`2026/11/20` as 1 November (kurtmckee/feedparser#75).
"""

from __future__ import annotations

import email.utils
import re
import warnings
from datetime import UTC, datetime, timedelta, timezone

from dateutil import parser as dateutil_parser
from dateutil.tz import tzoffset

# RFC 822 section 5.1 zone names, for dateutil (which knows only UTC/GMT by name).
_ZONES = {
    name: tzoffset(name, hours * 3600)
    for name, hours in {
        "UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
        "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
        "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
        "CET": 1, "CEST": 2,
    }.items()
}  # fmt: skip
_DOTTED = re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b")
_YEAR_FIRST = re.compile(r"^\s*\d{4}[-/.]")
# A four-digit year as written (not a zone such as -0500 or a time): email.utils and
# dateutil both read a year under 100 as two-digit, so "01 Jan 0001" became 2001.
_WRITTEN_YEAR = re.compile(r"(?<![\d:+\-])(\d{4})(?![\d:])")
_SLASHED_YEAR_LAST = re.compile(r"\b(\d{1,2})/(\d{1,2})/\d{2,4}\b")
# A leading day name in any language ("Fr,", "Mo.", "jeudi"): never needed to read a date.
_DAY_NAME = re.compile(r"^\s*[^\W\d_]{2,}\.?,?\s+(?=\d)")
_MONTHS = dateutil_parser.parserinfo()  # English month names and abbreviations
# Two different defaults: a part present in the text gives the same value under both.
_DEFAULTS = (datetime(2001, 1, 1, tzinfo=UTC), datetime(2002, 2, 2, tzinfo=UTC))
# No feed was written before 1900 (RSS dates from 1999): an earlier year is a placeholder
# such as 0001-01-01, not a date to trust (SQLite's search key also overflows before 1698).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


def read_date(text: str | None) -> datetime | None:
    """The moment `text` names, in UTC; None when it cannot be read with confidence."""
    if not text or not text.strip():
        return None
    text = text.strip()
    moment = _common(text) or _rfc822(text) or _dateutil(text)
    if moment is None:
        return None
    written = _WRITTEN_YEAR.search(text)
    if written and int(written[1]) != moment.year:
        return None  # "0001" read as 2001: a wrong date is never taken
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # year 1 at +14:00, year 9999 at -12:00: outside datetime's range
        return None
    except ValueError:  # a zone of 24 hours or more (`+2400`), which dateutil keeps
        return None
    return moment if moment >= EARLIEST else None


# -- the two forms nearly every feed writes, read without a general parser -----------
# RSS's `Sat, 31 Oct 2026 19:00:00 +0000` and Atom's `2026-10-31T19:00:00Z`, exactly
# (ASCII digits, English names, one space): _rfc822 and _dateutil read them as the parts
# written, so they are built from those parts at a tenth of the cost (dateutil was half
# an Atom feed's own reading time). Anything else, or parts out of range, goes the
# general way (the differential test in tests/test_feed_fast_paths.py holds them equal).
_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
_COMMON_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?([0-9]{1,2}) ([A-Z][a-z]{2}) ([1-9][0-9]{3}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) (?:([+-])([01][0-9]|2[0-3])([0-5][0-9])|GMT|UTC?)"
)
_COMMON_ISO = re.compile(
    r"([1-9][0-9]{3})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?"
    r"(?:Z|([+-])([01][0-9]|2[0-3]):([0-5][0-9]))"
)


def _common(text: str) -> datetime | None:
    """`text` in one of the two common forms, as _rfc822 / _dateutil read it; None for
    any other text (then read the general way)."""
    try:
        if found := _COMMON_RFC822.fullmatch(text):
            day, month, year, hour, minute, second, sign, zone_h, zone_m = found.groups()
            number = _MONTH_NUMBERS.get(month)
            if number is None:
                return None
            return datetime(
                int(year), number, int(day), int(hour), int(minute), int(second),
                tzinfo=_zone(sign, zone_h, zone_m),
            )  # fmt: skip
        if found := _COMMON_ISO.fullmatch(text):
            year, month, day, hour, minute, second, fraction, sign, zone_h, zone_m = found.groups()
            return datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second),
                int(fraction.ljust(6, "0")) if fraction else 0,
                tzinfo=_zone(sign, zone_h, zone_m),
            )  # fmt: skip
    except ValueError:  # 31 February, hour 24, second 60: the general way decides
        return None
    return None


def _zone(sign: str | None, hours: str | None, minutes: str | None) -> timezone:
    if sign is None:
        return UTC
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-offset if sign == "-" else offset)


def _rfc822(text: str) -> datetime | None:
    if _YEAR_FIRST.match(text) or _DOTTED.search(text):
        return None
    try:
        parts = email.utils.parsedate_tz(text)
    except (TypeError, ValueError, IndexError):
        return None
    if not parts or parts[0] < 1000:
        return None
    last = text.split()[-1]
    if last.isalpha() and last.upper() not in _ZONES:
        return None  # a zone name we do not know: not "UTC" by guess
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _dateutil(text: str) -> datetime | None:
    leading = _DAY_NAME.match(text)
    if leading and _MONTHS.month(leading[0].strip(" \t.,")) is None:
        text = text[leading.end() :]  # "Fr, 20 Nov", never the month of "November 20, 2026"
    slashed = _SLASHED_YEAR_LAST.search(text)
    if slashed and int(slashed[1]) <= 12 and int(slashed[2]) <= 12 and slashed[1] != slashed[2]:
        return None  # 03/04/2026: March or April, nobody can say
    dayfirst = bool(_DOTTED.search(text)) or bool(slashed and int(slashed[1]) > 12)
    yearfirst = bool(_YEAR_FIRST.match(text))
    readings = []
    for default in _DEFAULTS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an unknown zone name must not pass as UTC
            try:
                readings.append(
                    dateutil_parser.parse(
                        text,
                        default=default,
                        dayfirst=dayfirst,
                        yearfirst=yearfirst,
                        tzinfos=_ZONES,
                    )
                )
            except (ValueError, OverflowError, Warning):
                return None
    first, second = readings
    if first.date() != second.date():
        return None  # a year, month or day was missing: not a date to trust
    return first if first.tzinfo else first.replace(tzinfo=UTC)
