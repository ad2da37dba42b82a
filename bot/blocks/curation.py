"""Block Kit for curation: the item modal, the delete confirmation, the admin menu,
confirmations and the audit list. Pure functions: data in, dicts out."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.blocks.entities import AuditLike, ItemLike
from bot.blocks.items import item_blocks, item_fallback
from bot.blocks.kit import context_block, divider, section
from bot.blocks.scheduled import publish_at_block
from bot.blocks.text import escape, escape_within, safe_url, slack_time
from bot.numbers import row_id
from domain.text import fit

# Stable ids: Slack sends them back, tests and other features refer to them.
ITEM_FORM = "coopnews_item_form"
DELETE_FORM = "coopnews_delete_item"
NOTICE_VIEW = "coopnews_notice"
ITEM_MENU = "coopnews_item_menu"
OPEN_ADD_ITEM = "open_add_item"  # the App Home "Add item" button

TITLE, LINK, CATEGORY, NEW_CATEGORY, DATE, SUMMARY = (
    "title",
    "link",
    "category",
    "new_category",
    "date",
    "summary",
)
ACTION_IDS = {
    TITLE: "title_input",
    LINK: "link_input",
    CATEGORY: "category_select",
    NEW_CATEGORY: "new_category_input",
    DATE: "date_picker",
    SUMMARY: "summary_input",
}

TITLE_MAX = 250
TITLE_MAX_EDIT = 500  # imported titles may be longer; the column holds 500
SUMMARY_MAX = 3000  # also Slack's cap for plain_text_input
CATEGORY_MAX = 100
OPTION_TEXT_MAX = 75  # Slack: option text
OPTION_VALUE_MAX = 150  # Slack: option value
EDIT, DELETE = "edit", "delete"
FEATURE, UNFEATURE = "feature", "unfeature"
MENU_VERBS = (EDIT, DELETE, FEATURE, UNFEATURE)


@dataclass(frozen=True)
class FormContext:
    """What a modal carries in private_metadata: the item (or scheduled item) edited,
    where to confirm."""

    item_id: int | None = None
    channel_id: str | None = None
    scheduled_id: int | None = None

    def encode(self) -> str:
        data = {"item_id": self.item_id, "channel_id": self.channel_id}
        if self.scheduled_id is not None:
            data["scheduled_id"] = self.scheduled_id
        return json.dumps(data)

    @classmethod
    def decode(cls, raw: str | None) -> FormContext:
        """Forgiving: a forged or empty private_metadata gives an empty context."""
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        item_id = data.get("item_id")
        channel_id = data.get("channel_id")
        scheduled_id = data.get("scheduled_id")
        return cls(
            item_id=row_id(item_id) if isinstance(item_id, int) else None,
            channel_id=channel_id if isinstance(channel_id, str) and channel_id else None,
            scheduled_id=row_id(scheduled_id) if isinstance(scheduled_id, int) else None,
        )


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def category_option(category: str) -> dict:
    return {"text": _plain(fit(category, OPTION_TEXT_MAX)), "value": category}


def prefill(text: str | None, limit: int) -> str:
    """An input's initial value: at most `limit` characters (Slack rejects longer)."""
    return (text or "")[:limit]


def item_form_view(
    categories: Sequence[str],
    today: date,
    context: FormContext,
    item: ItemLike | None = None,
    publish_at: datetime | None = None,
    schedulable: bool = True,
) -> dict:
    """The Add / Edit modal; `item` pre-fills it for editing. "Publish at" is offered
    for a new item and for a scheduled one (`context.scheduled_id`, pre-filled with
    `publish_at`), never for an item already published, nor where the submission
    does not schedule (`schedulable` False: a suggestion's forms)."""
    # Slack: at most 100 options, values of 150 characters.
    options = [category_option(c) for c in categories if len(c) <= OPTION_VALUE_MAX][:100]
    # An imported title may be longer than a new one may be: room to correct it.
    title_limit = (
        TITLE_MAX if item is None else min(max(TITLE_MAX, len(item.title)), TITLE_MAX_EDIT)
    )
    title_input: dict = {
        "type": "plain_text_input",
        "action_id": ACTION_IDS[TITLE],
        "max_length": title_limit,
        "placeholder": _plain("What happened"),
    }
    link_input: dict = {
        "type": "url_text_input",
        "action_id": ACTION_IDS[LINK],
        "placeholder": _plain("https://…"),
    }
    select: dict = {
        "type": "static_select",
        "action_id": ACTION_IDS[CATEGORY],
        "placeholder": _plain("Choose a category"),
        "options": options,
    }
    new_category: dict = {
        "type": "plain_text_input",
        "action_id": ACTION_IDS[NEW_CATEGORY],
        "max_length": CATEGORY_MAX,
        "placeholder": _plain("A category not in the list"),
    }
    datepicker: dict = {
        "type": "datepicker",
        "action_id": ACTION_IDS[DATE],
        "initial_date": today.isoformat(),
    }
    summary_input: dict = {
        "type": "plain_text_input",
        "action_id": ACTION_IDS[SUMMARY],
        "multiline": True,
        "max_length": SUMMARY_MAX,
    }
    if item is not None:
        title_input["initial_value"] = prefill(item.title, TITLE_MAX_EDIT)
        if safe_url(item.url):  # Slack may refuse a url_text_input holding a non-URL
            link_input["initial_value"] = item.url
        current = next((o for o in options if o["value"] == item.category), None)
        if current:
            select["initial_option"] = current
        elif item.category:
            new_category["initial_value"] = prefill(item.category, CATEGORY_MAX)
        datepicker["initial_date"] = item.published_at.date().isoformat()
        if item.summary:
            summary_input["initial_value"] = prefill(item.summary, SUMMARY_MAX)

    blocks: list[dict] = [
        _input(TITLE, "Title", title_input),
        _input(LINK, "Link", link_input, optional=True, hint="http:// or https:// only"),
    ]
    if options:  # Slack refuses a select without options
        blocks.append(_input(CATEGORY, "Category", select, optional=True))
        new_label, new_hint = "Or a new category", "Used instead of the list when filled in"
    else:
        new_label, new_hint = "Category", None
    blocks.append(_input(NEW_CATEGORY, new_label, new_category, optional=True, hint=new_hint))
    blocks.append(_input(DATE, "Date", datepicker, hint="When the news happened"))
    blocks.append(_input(SUMMARY, "Summary", summary_input, optional=True))
    # Not for a published item (context.item_id); a pre-filled new one (a page's
    # metadata) may still be scheduled.
    if context.item_id is None and schedulable:
        blocks.append(publish_at_block(publish_at))
    editing = item is not None
    return {
        "type": "modal",
        "callback_id": ITEM_FORM,
        "title": _plain("Edit news item" if editing else "Add a news item"),
        "submit": _plain("Save" if editing else "Add item"),
        "close": _plain("Cancel"),
        "private_metadata": context.encode(),
        "blocks": blocks,
    }


def _input(
    block_id: str, label: str, element: dict, optional: bool = False, hint: str | None = None
) -> dict:
    block = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def delete_confirm_view(item: ItemLike, context: FormContext) -> dict:
    """Asks before retracting; shows what will happen to posted messages."""
    explanation = (
        "It disappears from `/coopnews latest` and search, and announcements already "
        "posted are replaced by a short retraction note. The audit trail keeps it."
    )
    return {
        "type": "modal",
        "callback_id": DELETE_FORM,
        "title": _plain("Delete this item?"),
        "submit": _plain("Delete"),
        "close": _plain("Keep it"),
        "private_metadata": context.encode(),
        "blocks": [*item_blocks(item), divider(), section(explanation)],
    }


def notice_view(title: str, text: str) -> dict:
    """A modal that only tells something (`text` is our own mrkdwn)."""
    return {
        "type": "modal",
        "callback_id": NOTICE_VIEW,
        "title": _plain(fit(title, 24)),
        "close": _plain("Close"),
        "blocks": [section(text)],
    }


def item_menu(item: ItemLike, featured_id: int | None = None) -> dict:
    """The admin's per-item menu (a section accessory wherever items are listed):
    Edit, Delete, and Feature, or Unfeature for the featured item."""
    featured = featured_id is not None and item.id == featured_id
    verb, label = (UNFEATURE, "Unfeature") if featured else (FEATURE, "Feature")
    return {
        "type": "overflow",
        "action_id": ITEM_MENU,
        "options": [
            {"text": _plain("Edit"), "value": f"{EDIT}:{item.id}"},
            {"text": _plain("Delete"), "value": f"{DELETE}:{item.id}"},
            {"text": _plain(label), "value": f"{verb}:{item.id}"},
        ],
    }


def parse_menu_value(value: str | None) -> tuple[str, int] | None:
    """`edit:12` -> ("edit", 12) (verbs: MENU_VERBS); anything else (forged) -> None."""
    verb, _, raw_id = (value or "").partition(":")
    item_id = row_id(raw_id)
    if verb not in MENU_VERBS or item_id is None:
        return None
    return verb, item_id


def saved_message(
    item: ItemLike,
    added: bool,
    messages_updated: int = 0,
    messages_retrying: int = 0,
    messages_failed: int = 0,
) -> dict:
    """The admin's confirmation after adding or correcting an item (and what became of
    the messages already posted: updated now, retried by the worker, or refused)."""
    heading = "Added to coopnews:" if added else "Saved your correction:"
    blocks = [section(f"*{heading}*"), *item_blocks(item)]
    posted = _posted_outcome(messages_updated, messages_retrying, messages_failed, "Also updated")
    if posted:
        blocks.append(context_block(posted))
    return {"text": f"{heading} {item_fallback(item)}", "blocks": blocks}


def deleted_message(
    item: ItemLike, messages_updated: int = 0, messages_retrying: int = 0, messages_failed: int = 0
) -> dict:
    text = f"Deleted {item_fallback(item)}: it no longer shows in coopnews."
    posted = _posted_outcome(messages_updated, messages_retrying, messages_failed, "Replaced")
    if posted:
        text += f" {posted}"
    return {"text": text, "blocks": [section(text)]}


def _posted_outcome(updated: int, retrying: int, failed: int, verb: str) -> str:
    """One honest line: what Slack took now, what is retried, what it refused."""
    parts = []
    if updated:
        parts.append(f"{verb} {_messages(updated)} already posted.")
    if retrying:
        parts.append(
            f"Slack did not take the change to {_messages(retrying)} yet: "
            "coopnews retries within a minute, and tells you if it cannot."
        )
    if failed:
        parts.append(f"Slack refused to change {_messages(failed)} (I sent you the details).")
    return " ".join(parts)


def _messages(n: int) -> str:
    return f"{n} message" + ("" if n == 1 else "s")


# -- the audit trail --------------------------------------------------------
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def mention(user_id: str) -> str:
    """`<@U…>` only for a well-formed Slack user id; anything else is shown as text."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id or "") else escape(user_id)


def audit_line(entry: AuditLike) -> str:
    what = f"*{escape_within(entry.item_title, 600)}*"
    if entry.item_id is not None:
        what += f" (#{entry.item_id})"
    line = f"{slack_time(entry.at)} · {mention(entry.user_id)} {entry.action} {what}"
    if entry.details:
        line += f": {escape_within(entry.details, 1000)}"
    return line


def audit_message(entries: Sequence[AuditLike]) -> dict:
    if not entries:
        text = "No changes yet: nothing has been added, edited or deleted through coopnews."
        return {"text": text, "blocks": [section(text)]}
    what = "change" if len(entries) == 1 else "changes"
    heading = f"*The last {len(entries)} {what}*"
    blocks = [section(heading)]
    blocks += [section(audit_line(e)) for e in entries]
    return {"text": f"The last {len(entries)} {what} to coopnews items", "blocks": blocks}
