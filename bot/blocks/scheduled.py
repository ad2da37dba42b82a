"""Block Kit for scheduled items: the item form's "Publish at", App Home's
"Scheduled" list with Edit and Cancel, and the admin's confirmations.
Pure functions: data in, dicts out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.blocks.entities import ScheduledLike
from bot.blocks.items import CATEGORY_SHOWN_MAX
from bot.blocks.kit import context_block, section
from bot.blocks.text import LABEL_MAX, escape_within, format_date, link, slack_time
from domain.text import shorten

# Stable ids: Slack sends them back, tests refer to them.
PUBLISH_AT = "publish_at"  # the block_id in the item form
PUBLISH_AT_ACTION = "publish_at_picker"
SCHEDULED_EDIT = "coopnews_scheduled_edit"
SCHEDULED_CANCEL = "coopnews_scheduled_cancel"
HOME_SCHEDULED = 10
CONFIRM_TITLE_MAX = 200


def publish_at_block(initial: datetime | None = None) -> dict:
    """The item form's optional "Publish at" (a datetimepicker: Slack shows it in the
    admin's own time zone and sends back a UNIX timestamp)."""
    element: dict = {"type": "datetimepicker", "action_id": PUBLISH_AT_ACTION}
    if initial is not None:
        element["initial_date_time"] = int(initial.timestamp())
    return {
        "type": "input",
        "block_id": PUBLISH_AT,
        "label": {"type": "plain_text", "text": "Publish at", "emoji": True},
        "element": element,
        "optional": True,
        "hint": {
            "type": "plain_text",
            "text": "Empty: publish now. Else it stays out of coopnews until then (your time zone).",
            "emoji": True,
        },
    }


def scheduled_line(row: ScheduledLike) -> str:
    line = f"*{link(row.url, row.title)}*\n:alarm_clock: {slack_time(row.publish_at)}"
    line += f" · dated {format_date(row.published_at)}"
    if row.category:
        line += f" · {escape_within(row.category, CATEGORY_SHOWN_MAX)}"
    return line


def scheduled_blocks(row: ScheduledLike) -> list[dict]:
    """One scheduled item in App Home: what and when, then Edit and Cancel (asks first)."""
    # A confirmation dialog's text holds at most 300 characters (composition objects).
    title = escape_within(row.title, CONFIRM_TITLE_MAX)
    return [
        section(scheduled_line(row), block_id=f"scheduled-{row.id}"),
        {
            "type": "actions",
            "block_id": f"scheduled-actions-{row.id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": SCHEDULED_EDIT,
                    "text": {"type": "plain_text", "text": "Edit"},
                    "value": str(row.id),
                },
                {
                    "type": "button",
                    "action_id": SCHEDULED_CANCEL,
                    "text": {"type": "plain_text", "text": "Cancel"},
                    "value": str(row.id),
                    "style": "danger",
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Cancel this item?"},
                        "text": {
                            "type": "mrkdwn",
                            "text": f"“{title}” will not be published. The audit trail keeps it.",
                        },
                        "confirm": {"type": "plain_text", "text": "Cancel it"},
                        "deny": {"type": "plain_text", "text": "Keep it"},
                        "style": "danger",
                    },
                },
            ],
        },
    ]


def scheduled_home_blocks(rows: Sequence[ScheduledLike], more: int = 0) -> list[dict]:
    """App Home's "Scheduled" section body (admins only), soonest first."""
    if not rows:
        return [section("Nothing scheduled. Pick a *Publish at* time in the item form.")]
    blocks = []
    for row in rows[:HOME_SCHEDULED]:
        blocks.extend(scheduled_blocks(row))
    hidden = max(0, more) + max(0, len(rows) - HOME_SCHEDULED)
    if hidden:
        blocks.append(context_block(f"…and {hidden} more scheduled."))
    return blocks


def scheduled_message(row: ScheduledLike, edited: bool = False) -> dict:
    """The admin's confirmation after scheduling (or rescheduling) an item."""
    verb = "Rescheduled" if edited else "Scheduled"
    text = (
        f"{verb}: *{link(row.url, row.title)}* will be published {slack_time(row.publish_at)}. "
        "Until then it is not in latest, search, feeds or announcements; "
        "App Home lists it with Edit and Cancel."
    )
    return {"text": f"{verb}: {escape_within(row.title, LABEL_MAX)}", "blocks": [section(text)]}


def cancelled_message(row: ScheduledLike) -> dict:
    text = f"Cancelled: “{escape_within(row.title, LABEL_MAX)}” will not be published."
    return {"text": text, "blocks": [section(text)]}


def publish_failed_notice(row: ScheduledLike, error: str) -> dict:
    """A DM to the admin who scheduled an item that could not be published."""
    text = (
        f":warning: Your scheduled item “{escape_within(row.title, LABEL_MAX)}” was not "
        f"published: {escape_within(error, 500)}. Nothing was announced."
    )
    return {"text": text, "blocks": [section(text)]}


def scheduled_list_message(rows: Sequence[ScheduledLike], more: int = 0) -> dict:
    """`/coopnews scheduled`: the same list as App Home, under a heading."""
    if not rows:
        text = (
            "Nothing is scheduled. Pick a *Publish at* time in the item form to schedule an item."
        )
        return {"text": text, "blocks": [section(text)]}
    count = len(rows) + max(0, more)
    heading = f"*{count} scheduled {'item' if count == 1 else 'items'}, soonest first*"
    titles = "; ".join(escape_within(r.title, 200) for r in rows)
    return {
        "text": shorten(f"{count} scheduled: {titles}", 2900),
        "blocks": [section(heading), *scheduled_home_blocks(rows, more)],
    }
