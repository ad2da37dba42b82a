"""The answer to URLs pasted after `/coopnews sources add`: three counts, then each failure."""

from __future__ import annotations

from typing import Protocol

from bot.blocks.text import escape
from domain.text import shorten

# Failures listed one by one; the rest are counted (a section holds 3,000 characters).
MAX_FAILURES_LISTED = 15


class FailedLike(Protocol):
    url: str
    reason: str


class ReportLike(Protocol):
    added: list
    already: list
    failed: list[FailedLike]


def follow_report_text(report: ReportLike) -> str:
    """mrkdwn: "Added A, already followed B, failed C." and one line per failure (escaped)."""
    lines = [
        f"Added {len(report.added)}, already followed {len(report.already)}, "
        f"failed {len(report.failed)}."
    ]
    for failed in report.failed[:MAX_FAILURES_LISTED]:
        lines.append(f"• {escape(shorten(failed.url, 200))}: {escape(shorten(failed.reason, 150))}")
    if len(report.failed) > MAX_FAILURES_LISTED:
        lines.append(f"…and {len(report.failed) - MAX_FAILURES_LISTED} more failures.")
    if report.added:
        lines.append("Their current entries are searchable but not announced; new ones will be.")
    return "\n".join(lines)
