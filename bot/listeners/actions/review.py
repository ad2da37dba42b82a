"""Approve / Edit / Reject on a suggestion (App Home and review channels): admins only.

Anyone can forge a click: every button is registered with `deps.require_admin`.
The decision itself is race-safe (bot/curation/desk.py, storage/suggestions.py).
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks.curation import notice_view
from bot.blocks.items import notice_message
from bot.blocks.suggestions import (
    APPROVE,
    EDIT,
    REJECT,
    ReviewContext,
    already_decided_text,
    reject_view,
)
from bot.curation import desk
from bot.curation.modals import tell_admin
from bot.deps import Deps
from bot.listeners.actions.curation import channel_of
from bot.numbers import row_id
from storage import suggestions
from storage.models import Suggestion

log = logging.getLogger(__name__)


def clicked_id(body: dict) -> int | None:
    actions = body.get("actions") or [{}]
    return row_id((actions[0] or {}).get("value"))


def pending_or_none(deps: Deps, suggestion_id: int | None) -> tuple[Suggestion | None, str]:
    """The pending suggestion, or None and why not (for the notice)."""
    if suggestion_id is None:
        return None, already_decided_text(None, None)
    with deps.db.reading() as session:
        suggestion = suggestions.get(session, suggestion_id)
    if suggestion is None or suggestion.state != "pending":
        state = suggestion.state if suggestion else None
        return None, already_decided_text(state, suggestion.decided_by if suggestion else None)
    return suggestion, ""


def errors_text(errors: dict[str, str]) -> str:
    problems = " ".join(errors.values())
    return f"Not approved: {problems} Use *Edit* to fix it, or *Reject*."


def register(app: App, deps: Deps) -> None:
    @app.action(APPROVE, middleware=[deps.require_admin])
    def approve_clicked(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        channel_id = channel_of(body)
        suggestion_id = clicked_id(body)
        if suggestion_id is None:
            log.warning("ignored a malformed approve click from %s", user_id)
            return
        approval = desk.approve(deps, suggestion_id, user_id)
        if approval.lost:
            desk.tell_lost(client, user_id, channel_id, approval.lost)
        elif approval.errors:
            tell_admin(client, user_id, channel_id, notice_message(errors_text(approval.errors)))
        else:
            desk.approved(client, deps, approval, user_id, channel_id)

    @app.action(EDIT, middleware=[deps.require_admin])
    def edit_clicked(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        trigger_id = body.get("trigger_id") or ""
        suggestion, why = pending_or_none(deps, clicked_id(body))
        if suggestion is None:
            client.views_open(trigger_id=trigger_id, view=notice_view("Already decided", why))
            return
        view = desk.edit_form(deps, suggestion, user_id, channel_of(body))
        client.views_open(trigger_id=trigger_id, view=view)

    @app.action(REJECT, middleware=[deps.require_admin])
    def reject_clicked(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        trigger_id = body.get("trigger_id") or ""
        suggestion, why = pending_or_none(deps, clicked_id(body))
        if suggestion is None:
            client.views_open(trigger_id=trigger_id, view=notice_view("Already decided", why))
            return
        context = ReviewContext(suggestion.id, channel_of(body))
        client.views_open(trigger_id=trigger_id, view=reject_view(suggestion, context))
