"""Text normalising and shortening: one rule for every field and every view."""

from __future__ import annotations

import re

_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
# C0 controls except tab/newline/return (whitespace, normalised later), DEL and C1.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def remove_control_characters(text: str) -> str:
    """`text` without C0/C1 control characters (tab, newline and return kept)."""
    return _CONTROL.sub("", text)


# Both of the above, removed in one pass (each is one character: removing one never
# makes another).
_NOT_SHOWN = re.compile(f"{_INVISIBLE.pattern}|{_CONTROL.pattern}")


def normalise_space(text: str) -> str:
    """Control and invisible characters removed, runs of whitespace made one space."""
    return " ".join(_NOT_SHOWN.sub("", text).split())


def shorten(text: str | None, limit: int) -> str:
    """`text` with runs of whitespace made one space, in at most `limit` characters:
    cut at a word boundary (inside a word only if it is very long), the cut marked
    by an ellipsis that counts in `limit`. None and "" give "".

    The one shortener: stored fields (storage/limits.py), feed entries, Slack
    texts and Block Kit plain_text all cut by this rule.
    """
    text = " ".join(text.split()) if text else ""
    if len(text) <= limit:
        return text
    room = limit - 1  # keep a place for the ellipsis
    cut = text[: room + 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut[:room]
    if len(cut) < room // 2 or len(cut) > room:  # one very long word: cut inside it
        cut = text[:room]
    return cut.rstrip(" ,;:.-–—") + "…"


def fit(text: str | None, limit: int) -> str | None:
    """`text` as it is when it fits in `limit` characters, else `shorten`ed (so its
    newlines and spacing survive unless it has to be cut); None stays None."""
    return text if text is None or len(text) <= limit else shorten(text, limit)
