"""Messages about sources: the list, and the failure notice sent to the admin who added one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.blocks.entities import SourceLike
from bot.blocks.kit import context_block, divider, message, section
from bot.blocks.text import escape, escape_within, link, slack_time
from domain.text import shorten


def every(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return "every hour" if hours == 1 else f"every {hours} hours"
    return f"every {minutes} min"


def next_check(source: SourceLike, when: Callable[[datetime], str] = slack_time) -> str:
    """When the worker next polls it (written by `when`: slack_time in Slack, utc_text in a
    terminal), and why it waits when the site asked it to."""
    if source.paused_at:
        return "paused"
    text = when(source.next_poll_at) if source.next_poll_at else "soon"
    if (
        source.retry_after_until
        and source.next_poll_at
        and (source.retry_after_until >= source.next_poll_at)
    ):
        text += " (the site asked us to wait)"
    return text


def source_name(source: SourceLike) -> str:
    """`<url|title>` (escaped), for our own mrkdwn."""
    return link(source.url, source.title or source.url)


def source_blocks(source: SourceLike, item_count: int, note: str | None = None) -> list[dict]:
    """One source: name, facts, last success and next check, last error, and the latest
    line of its history (`note`: an entry skipped, an address moved)."""
    state = " · _paused_" if source.paused_at else ""
    head = f"*{source.id}.* {source_name(source)}{state}"
    facts = [source.kind or "feed", every(source.interval_seconds)]
    if source.category:
        facts.append(escape_within(source.category, 300))
    facts.append(f"{item_count} item" + ("" if item_count == 1 else "s"))
    lines = [
        head,
        " · ".join(facts),
        f"Last success: {slack_time(source.last_success_at)} · next check: {next_check(source)}",
    ]
    if source.last_error:
        streak = f" ({source.failures} failures in a row)" if source.failures > 1 else ""
        lines.append(f"Last error: {escape_within(source.last_error, 600)}{streak}")
    if note and note != source.last_error:
        lines.append(f"Latest note: {escape_within(note, 300)}")
    return [section("\n".join(lines), block_id=f"source-{source.id}")]


# Slack allows 50 blocks a message; each source takes two.
MAX_LISTED = 23


def sources_list_message(
    rows: Sequence[tuple[SourceLike, int]], notes: dict[int, str] | None = None
) -> dict:
    """The list for `/coopnews sources`; `notes`: source id -> latest history line."""
    notes = notes or {}
    if not rows:
        text = (
            "No sources yet. An admin can follow a feed with "
            "`/coopnews sources add URL [category]`."
        )
        return message(text)
    heading = f"*Sources ({len(rows)})*"
    blocks: list[dict] = [section(heading)]
    for source, count in rows[:MAX_LISTED]:
        blocks.append(divider())
        blocks.extend(source_blocks(source, count, notes.get(source.id)))
    footer = (
        "Admins: `/coopnews sources add URL [category]`, `poll ID`, `remove ID`, `pause ID`, "
        "`resume ID`, `interval ID MINUTES`."
    )
    if len(rows) > MAX_LISTED:
        footer = f"{len(rows) - MAX_LISTED} more: `coopnews sources list` shows all. " + footer
    blocks.append(context_block(footer))
    names = "; ".join(f"{s.id}. {escape(s.title or s.url)}" for s, _ in rows)
    return {"text": shorten(f"Sources: {names}", 2900), "blocks": blocks}


def failure_notice(source: SourceLike) -> dict:
    """The one DM to the admin who added a source that keeps failing."""
    text = (
        f":warning: The news source {source_name(source)} (source {source.id}) has failed "
        f"{source.failures} times in a row. Last error: "
        f"{escape_within(source.last_error or 'unknown', 600)}\n"
        "coopnews keeps trying, less and less often. "
        f"`/coopnews sources list` shows its state; `/coopnews sources pause {source.id}` "
        f"or `/coopnews sources remove {source.id}` stops it."
    )
    return message(text)


def added_message(source: SourceLike, added: int, already_present: int) -> str:
    what = "item" if added == 1 else "items"
    text = f"Now following {source_name(source)} as source {source.id}: {added} {what} stored"
    if already_present:
        text += f" ({already_present} already present)"
    return text + (
        ". Those earlier items are searchable but not announced; "
        f"new ones will be, checked {every(source.interval_seconds)}."
    )
