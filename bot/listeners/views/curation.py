"""Submissions of the item modal (add, edit) and of the delete confirmation.

Anyone can forge a view_submission: rights are checked first, then every
input is validated here; errors go back inline, keyed by block_id.
"""

from __future__ import annotations

import dataclasses

from slack_bolt import Ack, App
from slack_sdk import WebClient

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
from bot.curation.form import read_values, validate
from bot.curation.modals import ADMINS_ONLY, tell_admin
from bot.curation.posted import update_posted
from bot.deps import Deps
from storage import curation
from storage.models import Item
from storage.types import utcnow

ITEM_GONE = "That item was deleted in the meantime, so nothing was saved."


def duplicate_error(duplicate: curation.DuplicateItem) -> dict[str, str]:
    field = LINK if duplicate.field == "link" else TITLE
    what = "this link" if field == LINK else "this title on this date"
    existing = duplicate.existing
    if existing is None:
        return {field: f"An item with {what} is already in coopnews."}
    shown = f"“{existing.title[:80]}” ({format_date(existing.published_at)})"
    if existing.retracted:
        return {field: f"An item with {what} was deleted earlier: {shown}."}
    return {field: f"Already in coopnews: {shown}."}


def register(app: App, deps: Deps) -> None:
    def refuse_unless_admin(ack: Ack, user_id: str) -> bool:
        if deps.admins.is_admin(user_id):
            return False
        ack(response_action="update", view=notice_view("Admins only", ADMINS_ONLY))
        return True

    @app.view(ITEM_FORM)
    def item_form_submitted(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        user_id = body["user"]["id"]
        if refuse_unless_admin(ack, user_id):
            return
        context = FormContext.decode(view.get("private_metadata"))
        submission = read_values((view.get("state") or {}).get("values") or {})
        # UTC today: validate() allows a day ahead, so every timezone's "today" passes.
        today = utcnow().date()

        if context.item_id is None:
            fields, errors = validate(submission, today)
            if errors:
                ack(response_action="errors", errors=errors)
                return
            try:
                with deps.db.transaction() as session:
                    item = curation.add_item(session, fields, user_id)
            except curation.DuplicateItem as duplicate:
                ack(response_action="errors", errors=duplicate_error(duplicate))
                return
            ack()
            tell_admin(client, user_id, context.channel_id, saved_message(item, added=True))
            return

        try:
            with deps.db.transaction() as session:
                item = curation.visible_item(session, context.item_id)
                if item is None:
                    ack(response_action="update", view=notice_view("Item gone", ITEM_GONE))
                    return
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
                    ack(response_action="errors", errors=errors)
                    return
                changed = curation.update_item(session, item, fields, user_id)
        except curation.DuplicateItem as duplicate:
            ack(response_action="errors", errors=duplicate_error(duplicate))
            return
        ack()
        if changed:
            updated = update_posted(client, deps.db, item.id)
            message = saved_message(item, added=False, messages_updated=updated)
            tell_admin(client, user_id, context.channel_id, message)

    @app.view(DELETE_FORM)
    def delete_submitted(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        user_id = body["user"]["id"]
        if refuse_unless_admin(ack, user_id):
            return
        context = FormContext.decode(view.get("private_metadata"))
        with deps.db.transaction() as session:
            item = session.get(Item, context.item_id) if context.item_id is not None else None
            retracted = item is not None and curation.retract_item(session, item, user_id)
        if not retracted:
            ack(response_action="update", view=notice_view("Item gone", "Nothing to delete."))
            return
        ack()
        updated = update_posted(client, deps.db, item.id)
        tell_admin(client, user_id, context.channel_id, deleted_message(item, updated))
