"""The DM to an admin when a correction of a posted message could not be applied."""

from __future__ import annotations

from bot.blocks.kit import message
from bot.blocks.text import escape, link


def correction_failed_notice(channel_id: str, permalink: str | None, error: str) -> dict:
    """Block Kit for the DM: which message (a permalink when Slack gave one), and why."""
    where = link(permalink, "a message") if permalink else "a message"
    text = (
        f":warning: I could not correct {where} in <#{channel_id}>: Slack answered "
        f"`{escape(error)}`. The item itself is saved; that message still shows the old "
        "version. Edit or delete it by hand if it is still there."
    )
    return message(text)
