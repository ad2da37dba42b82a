"""Block Kit for the desk: the suggestion form, review cards with Approve/Edit/Reject,
the reject modal, and what members and admins are told. Pure functions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol

from bot.blocks.curation import ITEM_FORM, FormContext, item_form_view, mention
from bot.blocks.entities import ItemLike
from bot.blocks.kit import context_block, divider, header, message, section
from bot.blocks.text import escape_within, format_date, link
from bot.numbers import row_id
from domain.text import fit, remove_control_characters, shorten

# Stable ids (the shortcut's is in manifest.yml and DESIGN.md).
SUGGEST_SHORTCUT = "suggest_to_coopnews"
SUGGEST_FORM = "coopnews_suggest_form"
REVIEW_EDIT_FORM = "coopnews_review_edit_form"
REJECT_FORM = "coopnews_reject_form"
READING_VIEW = "coopnews_reading_page"
APPROVE, EDIT, REJECT = "suggestion_approve", "suggestion_edit", "suggestion_reject"
REASON, REASON_INPUT = "reason", "reason_input"
REASON_MAX = 500
HOME_SUGGESTIONS = 10
SUMMARY_SHOWN = 280


class SuggestionLike(Protocol):
    id: int
    suggested_by: str
    title: str
    url: str | None
    category: str | None
    summary: str | None
    site_name: str | None
    state: str
    decided_by: str | None
    reason: str | None

    @property
    def published_at(self) -> datetime: ...


class PageLike(Protocol):
    url: str
    title: str | None
    summary: str | None
    published_at: datetime | None
    site_name: str | None
    reason: str | None


@dataclass(frozen=True)
class ReviewContext:
    """What the review modals carry in private_metadata: the suggestion, where to confirm."""

    suggestion_id: int | None = None
    channel_id: str | None = None

    def encode(self) -> str:
        return json.dumps({"suggestion_id": self.suggestion_id, "channel_id": self.channel_id})

    @classmethod
    def decode(cls, raw: str | None) -> ReviewContext:
        """Forgiving: forged or empty metadata gives an empty context."""
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        sid, channel = data.get("suggestion_id"), data.get("channel_id")
        return cls(
            suggestion_id=row_id(sid) if isinstance(sid, int) else None,
            channel_id=channel if isinstance(channel, str) and channel else None,
        )


@dataclass(frozen=True)
class _Draft:
    """What item_form_view pre-fills from (an ItemLike without an id of its own)."""

    title: str
    url: str | None
    category: str | None
    summary: str | None
    published_at: datetime
    id: int = 0


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def reading_view(url: str) -> dict:
    """Opened at once with the trigger_id (it expires in 3 s) while the page is read."""
    return {
        "type": "modal",
        "callback_id": READING_VIEW,
        "title": _plain("coopnews"),
        "close": _plain("Cancel"),
        "blocks": [section(f":hourglass_flowing_sand: Reading {link(url, url)}…")],
    }


def prefilled_form(
    categories: Sequence[str],
    today: date,
    page: PageLike | None,
    *,
    callback_id: str,
    private_metadata: str,
    heading: str,
    submit: str,
    draft: SuggestionLike | None = None,
) -> dict:
    """The item form (bot/blocks/curation.item_form_view) pre-filled from a page's
    metadata or a stored suggestion, under another callback_id and title."""
    if draft is not None:
        source = _Draft(draft.title, draft.url, draft.category, draft.summary, draft.published_at)
    elif page is not None:
        day = page.published_at.date() if page.published_at else today
        source = _Draft(
            page.title or "",
            page.url,
            None,
            page.summary,
            datetime.combine(day, time.min, tzinfo=UTC),
        )
    else:
        source = None
    # A suggestion is published when an admin approves it: Publish at only where the
    # item form itself takes the submission (an admin's `add URL`).
    view = item_form_view(
        categories, today, FormContext(), source, schedulable=callback_id == ITEM_FORM
    )
    for block in view["blocks"]:  # Slack refuses an empty initial_value
        element = block.get("element") or {}
        if element.get("initial_value") == "":
            del element["initial_value"]
    notes = []
    if page is not None and page.reason:
        notes.append(f":warning: Could not read the page: {escape_within(page.reason, 500)}.")
    if page is not None and page.site_name and not page.reason:
        notes.append(f"From *{escape_within(page.site_name, 200)}*")
    if draft is not None:
        notes.append(f"Suggested by {mention(draft.suggested_by)}")
    if notes:
        view["blocks"].insert(0, context_block(" · ".join(notes)))
    view.update(
        callback_id=callback_id,
        private_metadata=private_metadata,
        title=_plain(heading),
        submit=_plain(submit),
    )
    return view


def suggestion_text(suggestion: SuggestionLike) -> str:
    """The suggestion as mrkdwn: title (a link), summary, date, category, site, who."""
    text = f"*{link(suggestion.url, suggestion.title)}*"
    summary = shorten(suggestion.summary, SUMMARY_SHOWN)
    if summary:
        text += "\n" + escape_within(summary, 1200)
    meta = [format_date(suggestion.published_at)]
    if suggestion.category:
        meta.append(escape_within(suggestion.category, 200))
    if suggestion.site_name:
        meta.append(escape_within(suggestion.site_name, 200))
    meta.append(f"suggested by {mention(suggestion.suggested_by)}")
    return text + "\n" + " · ".join(meta)


def decision_buttons(suggestion: SuggestionLike) -> dict:
    value = str(suggestion.id)
    return {
        "type": "actions",
        "block_id": f"suggestion-actions-{suggestion.id}",
        "elements": [
            {
                "type": "button",
                "action_id": APPROVE,
                "text": _plain("Approve"),
                "style": "primary",
                "value": value,
            },
            {"type": "button", "action_id": EDIT, "text": _plain("Edit"), "value": value},
            {
                "type": "button",
                "action_id": REJECT,
                "text": _plain("Reject"),
                "style": "danger",
                "value": value,
            },
        ],
    }


def decision_line(suggestion: SuggestionLike) -> str:
    who = mention(suggestion.decided_by or "")
    if suggestion.state == "approved":
        return f":white_check_mark: Approved by {who}"
    line = f":no_entry_sign: Rejected by {who}"
    if suggestion.reason:
        line += f": {escape_within(suggestion.reason, REASON_MAX + 100)}"
    return line


def review_message(suggestion: SuggestionLike) -> dict:
    """A review channel's message: the suggestion, and buttons while it is pending."""
    blocks = [
        section(":inbox_tray: *A new suggestion*"),
        section(suggestion_text(suggestion), block_id=f"suggestion-{suggestion.id}"),
    ]
    if suggestion.state == "pending":
        blocks.append(decision_buttons(suggestion))
    else:
        blocks.append(context_block(decision_line(suggestion)))
    fallback = f"Suggestion: {escape_within(suggestion.title, 200)}"
    return message(fallback, blocks)


def home_suggestion_blocks(suggestions: Sequence[SuggestionLike], total: int) -> list[dict]:
    """App Home (admins): pending suggestions, oldest first, each with its buttons."""
    blocks: list[dict] = [divider(), header(f"Suggestions ({total} pending)")]
    if not suggestions:
        blocks.append(section("No suggestions are waiting."))
        return blocks
    for suggestion in suggestions[:HOME_SUGGESTIONS]:
        blocks.append(section(suggestion_text(suggestion), block_id=f"suggestion-{suggestion.id}"))
        blocks.append(decision_buttons(suggestion))
    if total > len(suggestions[:HOME_SUGGESTIONS]):
        blocks.append(context_block(f"…and {total - HOME_SUGGESTIONS} more after these."))
    return blocks


def reject_view(suggestion: SuggestionLike, context: ReviewContext) -> dict:
    return {
        "type": "modal",
        "callback_id": REJECT_FORM,
        "title": _plain("Reject suggestion"),
        "submit": _plain("Reject"),
        "close": _plain("Cancel"),
        "private_metadata": context.encode(),
        "blocks": [
            section(suggestion_text(suggestion)),
            {
                "type": "input",
                "block_id": REASON,
                "optional": True,
                "label": _plain("Reason (sent to the member)"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_INPUT,
                    "multiline": True,
                    "max_length": REASON_MAX,
                },
            },
        ],
    }


def read_reason(values: dict) -> str | None:
    block = values.get(REASON) if isinstance(values, dict) else None
    element = block.get(REASON_INPUT) if isinstance(block, dict) else None
    value = element.get("value") if isinstance(element, dict) else None
    if not isinstance(value, str):
        return None
    return fit(" ".join(remove_control_characters(value).split()), REASON_MAX) or None


# -- what people are told -------------------------------------------------------
def received_message(suggestion: SuggestionLike, pending: int, limit: int) -> dict:
    text = (
        f"Thanks! Your suggestion *{escape_within(suggestion.title, 300)}* is with the "
        f"coopnews editors. You will get a message when they decide "
        f"({pending} of your {limit} pending suggestions)."
    )
    return message(text)


def approved_dm(suggestion: SuggestionLike, item: ItemLike | None = None) -> dict:
    """The member's news: approved, with the item as published (an editor may have
    changed its title or link), else as suggested."""
    shown = item if item is not None else suggestion
    text = (
        f":tada: Your suggestion *{link(shown.url, shown.title)}* was approved by "
        f"{mention(suggestion.decided_by or '')} and is now in coopnews."
    )
    return message(text)


def rejected_dm(suggestion: SuggestionLike) -> dict:
    text = (
        f"Your suggestion *{link(suggestion.url, suggestion.title)}* was not taken by "
        f"{mention(suggestion.decided_by or '')}."
    )
    if suggestion.reason:
        text += f"\n>{escape_within(suggestion.reason, REASON_MAX + 100)}"
    return message(text)


def already_decided_text(state: str | None, decided_by: str | None) -> str:
    if state is None:
        return "That suggestion no longer exists."
    return f"That suggestion was already {state} by {mention(decided_by or '')}."


def decided_message(suggestion: SuggestionLike) -> dict:
    """The deciding admin's confirmation."""
    return message(f"{decision_line(suggestion)}: *{link(suggestion.url, suggestion.title)}*")
