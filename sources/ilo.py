"""Parser for the ILO cooperatives news listing, as text.

A listing is a header, then numbered entries::

      1. News

        ILO SSE Academy in Seoul concluded successfully

        10 July 2017

        The 8th edition of the ILO SSE Academy took place in Seoul ...

Each entry has a category line, a title, a date and an optional summary.
Real pages vary: a photo credit ("© Name / Org 2023") may stand above the
title, instead of or before the category; the summary may be missing; the
page may end in the middle of an entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache

_ENTRY_START = re.compile(r"^\s*(\d{1,6})\.(?:\s+(.*\S))?\s*$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")
_CREDIT_FIRST = frozenset("©(cCpP")
_CREDIT = re.compile(r"^\s*(©|\(c\)\s|copyright\b|photo\s*(credit)?\s*:)", re.IGNORECASE)


class NotAListing(ValueError):
    """The text is not an ILO news listing."""


@dataclass(slots=True)
class ListingEntry:
    position: int
    title: str
    published: date
    category: str | None = None
    summary: str | None = None


@dataclass
class ParsedListing:
    entries: list[ListingEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.warnings)


def parse_date(text: str) -> date | None:
    """A listing date like "06 July 2017"; None when it is not one (never guess)."""
    text = text.strip()
    # Cheap rejection first: a date line is short and ends with the year.
    if len(text) > 40 or not text[-4:].isdigit():
        return None
    return _parse_date_text(" ".join(text.split()))


@lru_cache(maxsize=4096)  # a listing repeats its dates: many items a day
def _parse_date_text(text: str) -> date | None:
    if match := _DAY_MONTH_YEAR.match(text):
        day, month, year = match.group(1), match.group(2), match.group(3)
    elif match := _MONTH_DAY_YEAR.match(text):
        month, day, year = match.group(1), match.group(2), match.group(3)
    else:
        return None
    month_number = _MONTHS.get(month.casefold())
    if month_number is None:
        return None
    try:
        return date(int(year), month_number, int(day))
    except ValueError:
        return None


def is_credit(text: str) -> bool:
    return text.lstrip()[:1] in _CREDIT_FIRST and bool(_CREDIT.match(text))


def _one_spaced(text: str) -> str:
    return " ".join(text.split()) if "  " in text or "\t" in text else text


def parse_listing(text: str) -> ParsedListing:
    """Every complete entry of a listing; incomplete ones become warnings.

    Raises NotAListing when the text holds no entry at all.
    """
    parsed = ParsedListing()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    parsed.entries.extend(iter_listing(text.split("\n"), parsed.warnings))
    if not parsed.entries:
        raise NotAListing(NO_ENTRIES)
    return parsed


NO_ENTRIES = (
    "no news entries found: expected numbered entries, each with a category, "
    'a title and a date like "06 July 2017"'
)


def iter_listing(lines: Iterable[str], warnings: list[str]) -> Iterator[ListingEntry]:
    """The complete entries of a listing's lines (without line ends), as they are read:
    memory stays that of one entry however long the listing. Incomplete entries are
    appended to `warnings`. Raises NotAListing on a NUL (a binary file), even after
    entries were yielded; the caller decides what "no entry at all" means."""
    for position, fields in _split_entries(lines):
        entry_or_problem = _entry_from_fields(position, fields)
        if isinstance(entry_or_problem, ListingEntry):
            yield entry_or_problem
        else:
            warnings.append(f"entry {position}: {entry_or_problem}")


def _split_entries(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """Group the lines into (position, fields); a field is a blank-line separated block.
    An entry is yielded when the next one starts (or the lines end)."""
    fields: list[str] | None = None
    position = 0
    pending: list[str] = []
    for line in lines:
        if "\x00" in line:
            raise NotAListing("this is a binary file, not an ILO news listing")
        line = line.strip()
        if not line:  # a line of spaces also ends a block
            if pending:
                if fields is not None:
                    _add_fields(fields, pending)
                pending = []
            continue
        start = _ENTRY_START.match(line) if line[0].isdigit() else None
        # Position numbers count up by one; "2030." inside a summary is not an entry.
        if start and (fields is None or int(start.group(1)) == position + 1):
            if fields is not None:
                if pending:
                    _add_fields(fields, pending)
                yield position, fields
            pending = [start.group(2)] if start.group(2) else []
            fields = []
            position = int(start.group(1))
        elif fields is not None:
            pending.append(line)
    if fields is not None:
        if pending:
            _add_fields(fields, pending)
        yield position, fields


def _add_fields(fields: list[str], lines: list[str]) -> None:
    if len(lines) == 1:  # the common case, kept cheap
        fields.append(lines[0])
    else:
        fields.extend(_split_block(lines))


def _split_block(lines: list[str]) -> list[str]:
    """Join a wrapped block into one field, but keep dates and credits on their own."""
    out: list[str] = []
    current: list[str] = []
    for line in lines:
        if parse_date(line) or is_credit(line):
            if current:
                out.append(" ".join(current))
                current = []
            out.append(line)
        else:
            current.append(line)
    if current:
        out.append(" ".join(current))
    return out


def _entry_from_fields(position: int, fields: list[str]) -> ListingEntry | str:
    fields = [_one_spaced(f) for f in fields if not is_credit(f)]
    date_index, published = None, None
    for index, text in enumerate(fields):
        if published := parse_date(text):
            date_index = index
            break
    if date_index is None:
        return "incomplete (no date), skipped"
    head, tail = fields[:date_index], fields[date_index + 1 :]
    if not head:
        return "incomplete (no title), skipped"
    title = head[-1]
    category = head[0] if len(head) > 1 else None
    summary = "\n\n".join(tail) or None
    return ListingEntry(
        position=position,
        title=title,
        published=published,
        category=category,
        summary=summary,
    )


def published_datetime(day: date) -> datetime:
    """Listing dates have no time: store midnight UTC of that day."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
