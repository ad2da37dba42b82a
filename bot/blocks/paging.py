"""The "More" button under `latest` and `search` results.

Its value says which page comes next, as compact JSON. Anyone can forge a
button click, so `read_page` accepts only the shapes we write and treats
everything else as no page at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.blocks.kit import context_block
from bot.numbers import MAX_OFFSET

MORE_ACTION = "coopnews_more"
# Slack's limit for a button value; ours stay far below it (queries are capped).
MAX_VALUE_CHARS = 2000
KINDS = ("latest", "search")
MAX_PAGE_COUNT = 100


@dataclass(frozen=True)
class PageRequest:
    kind: str  # "latest" or "search"
    offset: int
    count: int = 0  # latest: page size
    category: str | None = None  # latest
    query: str = ""  # search: the text as typed


def page_value(page: PageRequest) -> str:
    data: dict = {"k": page.kind, "o": page.offset}
    if page.kind == "latest":
        data["n"] = page.count
        if page.category:
            data["c"] = page.category
    else:
        data["q"] = page.query
    value = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(value) > MAX_VALUE_CHARS:
        raise ValueError("page value too long for a Slack button")
    return value


def read_page(value: str | None) -> PageRequest | None:
    try:
        data = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("k") not in KINDS:
        return None
    offset, count = data.get("o"), data.get("n", 0)
    category, query = data.get("c"), data.get("q", "")
    if not isinstance(offset, int) or not isinstance(count, int):
        return None
    # Forged values (2**63, negatives) are no page at all, never an OverflowError.
    if not 0 <= offset <= MAX_OFFSET or not 0 <= count <= MAX_PAGE_COUNT:
        return None
    if category is not None and not isinstance(category, str) or not isinstance(query, str):
        return None
    # Never in a value of ours (PostgreSQL refuses NUL in text): forged, no page.
    if "\x00" in query or (category and "\x00" in category):
        return None
    return PageRequest(data["k"], offset, count, category, query)


def more_footer(page: PageRequest, shown: str) -> list[dict]:
    """`shown` says which results are on screen, e.g. "Results 1–10"."""
    return [
        context_block(shown),
        {
            "type": "actions",
            "block_id": "coopnews-more",
            "elements": [
                {
                    "type": "button",
                    "action_id": MORE_ACTION,
                    "text": {"type": "plain_text", "text": "More"},
                    "value": page_value(page),
                }
            ],
        },
    ]


def range_text(offset: int, count: int) -> str:
    return f"{offset + 1}–{offset + count}"
