"""The item form's scheduling paths: a new item with "Publish at", and the edit of
a scheduled one (rescheduled, or published at once when "Publish at" is emptied).

Called by the item form's submission listener (bot/listeners/views/curation.py,
behind `deps.require_admin`) inside its transaction; storage/scheduled.py does
the writes. Returns what to answer Slack and what to tell the admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.blocks.curation import LINK, TITLE, FormContext, notice_view, saved_message
from bot.blocks.scheduled import scheduled_message
from bot.blocks.text import utc_text
from bot.curation.form import Submission, validate, validate_publish_at
from domain.text import shorten
from storage import scheduled

NOT_PENDING = (
    "That scheduled item was published or cancelled in the meantime, so nothing was saved."
)


@dataclass
class Outcome:
    """`response`: the ack's arguments ({} closes the modal); `message`: for the admin."""

    response: dict = field(default_factory=dict)
    message: dict | None = None
    item_id: int | None = None  # published now: its messages may need corrections


def save(
    session: Session, context: FormContext, submission: Submission, now: datetime, user_id: str
) -> Outcome | None:
    """None when the submission is not about scheduling (publish now, or an edit of a
    published item: "Publish at" is not offered there and ignored if forged)."""
    if context.item_id is not None:
        return None
    if context.scheduled_id is None and submission.publish_at is None:
        return None
    publish_at, errors = validate_publish_at(submission.publish_at, now)
    # The item's date may be up to a day after the day it is published.
    fields, field_errors = validate(submission, (publish_at or now).date())
    errors = {**field_errors, **errors}
    if errors or fields is None:
        return Outcome(response={"response_action": "errors", "errors": errors})
    twin = scheduled.pending_duplicate(session, fields, exclude_id=context.scheduled_id)
    if twin is not None:
        field, row = twin
        block = LINK if field == "link" else TITLE
        shown = f"“{shorten(row.title, 80)}” ({utc_text(row.publish_at)})"
        return Outcome(
            response={
                "response_action": "errors",
                "errors": {block: f"Already scheduled: {shown}."},
            }
        )
    if context.scheduled_id is None:
        assert publish_at is not None
        row = scheduled.schedule(session, fields, publish_at, user_id)
        return Outcome(message=scheduled_message(row))
    row = scheduled.edit(session, context.scheduled_id, fields, publish_at or now, user_id)
    if row is None:
        return Outcome(
            response={"response_action": "update", "view": notice_view("Not saved", NOT_PENDING)}
        )
    if publish_at is not None:
        return Outcome(message=scheduled_message(row, edited=True))
    item = scheduled.publish(session, row.id, actor=user_id)
    if item is None:
        return Outcome(
            response={"response_action": "update", "view": notice_view("Not saved", NOT_PENDING)}
        )
    return Outcome(message=saved_message(item, added=True), item_id=item.id)
