"""Shared by the public web tests: items with chosen text and dates, the hostile strings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.items import ItemDraft, fingerprint
from storage.entries import add_items

# Entities, markup, a script, control characters (XML forbids them), a would-be mention.
HOSTILE_TITLE = 'Fish &amp; chips <script>alert("x")</script> \x01\x07\x1b<!channel> &#x3C;b&#x3E;'
HOSTILE_SUMMARY = "<img src=x onerror=alert(1)> & \x0bsummary\x7f ]]> --> <![CDATA[ x ]]>"
# What a reader must see: the same text, minus the characters XML cannot carry.
HOSTILE_TITLE_SHOWN = 'Fish &amp; chips <script>alert("x")</script> <!channel> &#x3C;b&#x3E;'
HOSTILE_SUMMARY_SHOWN = "<img src=x onerror=alert(1)> & summary ]]> --> <![CDATA[ x ]]>"

BASE_DAY = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def add(
    db,
    title: str,
    *,
    days: int = 0,
    category: str | None = None,
    url: str | None = None,
    summary: str | None = None,
    origin: str = "feed",
) -> int:
    """Store one item dated BASE_DAY + `days`; returns its id."""
    draft = ItemDraft(
        title=title,
        published_at=BASE_DAY + timedelta(days=days),
        origin=origin,
        fingerprint=fingerprint("test", title, str(days)),
        url=url,
        category=category,
        summary=summary,
    )
    with db.transaction() as session:
        return add_items(session, [draft]).added[0]
