"""App Home's Edit and Cancel on a scheduled item.

Anyone can forge a click: both are registered with `deps.require_admin`, which
checks admin rights on the server before they run. Cancel asks first (the
button's Block Kit `confirm` dialog) and refreshes the admin's Home tab.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.curation import FormContext
from bot.blocks.scheduled import SCHEDULED_CANCEL, SCHEDULED_EDIT, cancelled_message
from bot.curation.modals import open_item_form, open_notice, tell_admin
from bot.deps import Deps
from bot.listeners.events.home import publish_home
from bot.numbers import row_id
from storage import scheduled
from storage.db import describe_failure

log = logging.getLogger(__name__)

GONE = "That item was already published or cancelled."


def register(app: App, deps: Deps) -> None:
    @app.action(SCHEDULED_EDIT, middleware=[deps.require_admin])
    def edit_scheduled(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        scheduled_id = row_id(action.get("value"))
        trigger_id = body.get("trigger_id")
        if scheduled_id is None or not trigger_id:
            log.warning("ignored a malformed scheduled Edit from %s", user_id)
            return
        with deps.db.reading() as session:
            row = scheduled.pending(session, scheduled_id)
        if row is None:
            open_notice(client, trigger_id, "Not scheduled", GONE)
            return
        context = FormContext(scheduled_id=row.id)
        open_item_form(client, deps, trigger_id, user_id, context, row, publish_at=row.publish_at)

    @app.action(SCHEDULED_CANCEL, middleware=[deps.require_admin])
    def cancel_scheduled(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        scheduled_id = row_id(action.get("value"))
        if scheduled_id is None:
            log.warning("ignored a malformed scheduled Cancel from %s", user_id)
            return
        try:
            with deps.db.transaction() as session:
                row = scheduled.cancel(session, scheduled_id, user_id)
                message = cancelled_message(row) if row is not None else None
        except SQLAlchemyError as exc:
            log.exception("cancelling scheduled item %s failed", scheduled_id)
            message = {"text": f"Not cancelled: {describe_failure(exc)}. Please try again."}
        if message is None and body.get("trigger_id"):
            open_notice(client, body["trigger_id"], "Not scheduled", GONE)
        elif message is not None:
            tell_admin(client, user_id, None, message)
        publish_home(client, deps, user_id)
