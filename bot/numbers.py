"""Numbers from requests (command words, button values, private_metadata), range-checked.

Anyone can type or forge any number; a value outside its range gets a clear
answer from the caller, never an OverflowError or a database's integer error.
"""

from __future__ import annotations

import re

# Row ids are 32-bit integers on PostgreSQL (SERIAL); nothing larger can exist.
MAX_ROW_ID = 2**31 - 1
# Paging further than this is not reading news, it is a forged button.
MAX_OFFSET = 100_000

_WHOLE = re.compile(r"[+-]?[0-9]{1,18}")


def whole_number(raw: str | None) -> int | None:
    """`"12"`, `"-3"`, `"+4"` -> int; anything else (words, `²`, 19+ digits) -> None."""
    raw = (raw or "").strip()
    return int(raw) if _WHOLE.fullmatch(raw) else None


def looks_numeric(raw: str | None) -> bool:
    """True for what a person means as a number, even one out of range (`-3`, 25 digits)."""
    return bool(re.fullmatch(r"[+-]?[0-9]+", (raw or "").strip()))


def row_id(raw: object) -> int | None:
    """A database row id (1..MAX_ROW_ID) from a string or a JSON int; None otherwise."""
    if isinstance(raw, bool):
        return None
    value = raw if isinstance(raw, int) else whole_number(raw if isinstance(raw, str) else None)
    return value if value is not None and 1 <= value <= MAX_ROW_ID else None
