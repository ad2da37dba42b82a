"""Submissions of the item modal (add, edit) and of the delete confirmation.

Anyone can forge a view_submission: both are registered with
`deps.require_admin`, which checks rights before they run; then every input
is validated here; errors go back inline, keyed by block_id.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.blocks.curation import (
    DELETE_FORM,
    ITEM_FORM,
    LINK,
    SUMMARY_MAX,
    TITLE,
    TITLE_MAX,
    FormContext,
    deleted_message,
    notice_view,
    prefill,
    saved_message,
)
from bot.blocks.text import format_date
from bot.curation import scheduling
from bot.curation.form import Submission, read_values, validate
from bot.curation.modals import tell_admin
from bot.curation.posted import correct_posted
from bot.deps import Deps
from bot.listeners.events.home import publish_home
from domain.text import shorten
from storage import curation
from storage.db import describe_failure
from storage.models import Item
from storage.types import utcnow

log = logging.getLogger(__name__)

ITEM_GONE = "That item was deleted in the meantime, so nothing was saved."


def database_trouble(exc: Exception) -> str:
    """One line for the modal: why the store refused (read-only, down…); nothing changed."""
    return (
        f"coopnews could not save this just now: {describe_failure(exc)}. "
        "Nothing was changed; please try again in a minute."
    )


def duplicate_error(duplicate: curation.DuplicateItem) -> dict[str, str]:
    field = LINK if duplicate.field == "link" else TITLE
    what = "this link" if field == LINK else "this title on this date"
    existing = duplicate.existing
    if existing is None:
        return {field: f"An item with {what} is already in coopnews."}
    shown = f"“{shorten(existing.title, 80)}” ({format_date(existing.published_at)})"
    if existing.retracted:
        return {field: f"An item with {what} was deleted earlier: {shown}."}
    return {field: f"Already in coopnews: {shown}."}


def register(app: App, deps: Deps) -> None:
    @app.view(ITEM_FORM, middleware=[deps.require_admin])
    def item_form_submitted(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        user_id = body["user"]["id"]
        context = FormContext.decode(view.get("private_metadata"))
        submission = read_values((view.get("state") or {}).get("values") or {})
        # UTC today: validate() allows a day ahead, so every timezone's "today" passes.
        now = utcnow()
        today = now.date()
        try:
            with deps.db.transaction() as session:
                planned = scheduling.save(session, context, submission, now, user_id)
                if planned is None and context.item_id is None:
                    item, changed = save_new(session, submission, today, user_id), True
                elif planned is None:
                    item, changed = save_edit(session, context.item_id, submission, today, user_id)
        except Rejected as rejected:
            ack(**rejected.response)
            return
        except curation.DuplicateItem as duplicate:
            ack(response_action="errors", errors=duplicate_error(duplicate))
            return
        except SQLAlchemyError as exc:
            # Keep the modal open with what the admin typed: nothing is lost.
            log.exception("saving an item failed")
            ack(response_action="errors", errors={TITLE: database_trouble(exc)})
            return
        if planned is not None:
            ack(**planned.response)
            if planned.message is not None:
                tell_admin(client, user_id, context.channel_id, planned.message)
                publish_home(client, deps, user_id)  # its Scheduled list changed
            return
        ack()
        if context.item_id is None:
            tell_admin(client, user_id, context.channel_id, saved_message(item, added=True))
        elif changed:
            posted = correct_posted(client, deps.db, item.id, user_id)
            message = saved_message(item, False, posted.updated, posted.retrying, posted.failed)
            tell_admin(client, user_id, context.channel_id, message)

    @app.view(DELETE_FORM, middleware=[deps.require_admin])
    def delete_submitted(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        user_id = body["user"]["id"]
        context = FormContext.decode(view.get("private_metadata"))
        try:
            with deps.db.transaction() as session:
                item = session.get(Item, context.item_id) if context.item_id is not None else None
                retracted = item is not None and curation.retract_item(session, item, user_id)
        except SQLAlchemyError as exc:
            log.exception("deleting item %s failed", context.item_id)
            ack(response_action="update", view=notice_view("Not deleted", database_trouble(exc)))
            return
        if not retracted:
            ack(response_action="update", view=notice_view("Item gone", "Nothing to delete."))
            return
        ack()
        posted = correct_posted(client, deps.db, item.id, user_id)
        message = deleted_message(item, posted.updated, posted.retrying, posted.failed)
        tell_admin(client, user_id, context.channel_id, message)


class Rejected(Exception):
    """Ends a save (rolling its transaction back) with this answer to the modal."""

    def __init__(self, **response) -> None:
        super().__init__(response.get("response_action"))
        self.response = response


def save_new(session: Session, submission: Submission, today: date, user_id: str) -> Item:
    fields, errors = validate(submission, today)
    if errors:
        raise Rejected(response_action="errors", errors=errors)
    return curation.add_item(session, fields, user_id)


def save_edit(
    session: Session, item_id: int, submission: Submission, today: date, user_id: str
) -> tuple[Item, list[str]]:
    item = curation.visible_item(session, item_id)
    if item is None:
        raise Rejected(response_action="update", view=notice_view("Item gone", ITEM_GONE))
    if item.summary and submission.summary == prefill(item.summary, SUMMARY_MAX):
        # Untouched, but cut to fit the input: keep the whole summary.
        submission = dataclasses.replace(submission, summary=item.summary)
    # Imported text may be longer than the modal allows for new items.
    fields, errors = validate(
        submission,
        today,
        title_max=max(TITLE_MAX, len(item.title)),
        summary_max=max(SUMMARY_MAX, len(item.summary or "")),
    )
    if errors:
        raise Rejected(response_action="errors", errors=errors)
    return item, curation.update_item(session, item, fields, user_id)
