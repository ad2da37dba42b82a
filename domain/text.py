"""Text normalising and shortening: one rule for every field and every view."""

from __future__ import annotations

import re

_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
# C0 controls except tab/newline/return (whitespace, normalised later), DEL and C1.
_C0_C1 = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# The explicit bidirectional formatting characters of UAX #9 (§2.1–2.4): embeddings
# LRE/RLE, overrides LRO/RLO, PDF, isolates LRI/RLI/FSI, PDI. Each opens or closes a
# scope that reorders everything after it up to its end or the paragraph's end, so one
# left open in a category or title reverses the text around it in a Slack message or a
# page ("Trojan Source", CVE-2021-42574). The implicit marks LRM, RLM and ALM
# (U+200E, U+200F, U+061C) are kept: they open no scope and move no strong character
# (UAX #9 §2.6), and right-to-left writing uses them to place punctuation.
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_C0_C1}{BIDI_CONTROLS}]")


def remove_control_characters(text: str) -> str:
    """`text` without C0/C1 control characters (tab, newline and return kept) and
    without the bidi embedding, override and isolate controls (BIDI_CONTROLS).

    The one rule for text from outside (feeds, listings, pages, what people type in
    commands and forms), applied where it enters (sources/text.py, sources/feeds.py,
    bot/slack_text.decode_command_text, the forms' readers) and to category
    spellings (storage.categories.category_spelling), so nothing shown to readers
    carries them."""
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
