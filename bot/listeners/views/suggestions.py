"""Submissions of the desk's modals.

- SUGGEST_FORM: a member's suggestion. Open to everyone (it stores a suggestion,
  never an item: named in tests/test_rights.MEMBER_LISTENERS); validated like the
  item form, limited to PENDING_PER_MEMBER pending per member.
- REVIEW_EDIT_FORM (Edit, then Approve) and REJECT_FORM: admins only
  (`deps.require_admin`), decided race-safely in bot/curation/desk.py.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.curation import LINK, TITLE, notice_view
from bot.blocks.suggestions import (
    REJECT_FORM,
    REVIEW_EDIT_FORM,
    SUGGEST_FORM,
    ReviewContext,
    read_reason,
    received_message,
)
from bot.curation import desk
from bot.curation.form import read_values, validate
from bot.curation.modals import tell_admin
from bot.deps import Deps
from bot.listeners.views.curation import database_trouble, duplicate_error
from storage import curation, suggestions
from storage.types import utcnow

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.view(SUGGEST_FORM)
    def suggestion_submitted(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        user_id = body["user"]["id"]
        channel_id, site_name = desk.read_suggest_metadata(view.get("private_metadata"))
        submission = read_values((view.get("state") or {}).get("values") or {})
        fields, errors = validate(submission, utcnow().date())
        if errors:
            ack(response_action="errors", errors=errors)
            return
        try:
            with deps.db.transaction() as session:
                suggestion = suggestions.add_suggestion(session, fields, user_id, site_name)
                pending = suggestions.count_pending(session, user_id)
        except suggestions.TooManyPending:
            ack(response_action="update", view=notice_view("Too many", desk.too_many_text()))
            return
        except suggestions.AlreadySuggested:
            ack(
                response_action="errors",
                errors={LINK: "This link was already suggested: the editors will look at it."},
            )
            return
        except curation.DuplicateItem as duplicate:
            ack(response_action="errors", errors=duplicate_error(duplicate))
            return
        except SQLAlchemyError as exc:
            log.exception("saving a suggestion failed")
            ack(response_action="errors", errors={TITLE: database_trouble(exc)})
            return
        ack()
        message = received_message(suggestion, pending, suggestions.PENDING_PER_MEMBER)
        tell_admin(client, user_id, channel_id, message)
        desk.announce_suggestion(client, deps, suggestion.id)

    @app.view(REVIEW_EDIT_FORM, middleware=[deps.require_admin])
    def edited_and_approved(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        user_id = body["user"]["id"]
        context = ReviewContext.decode(view.get("private_metadata"))
        if context.suggestion_id is None:
            ack(response_action="update", view=notice_view("Gone", "Nothing to approve."))
            return
        submission = read_values((view.get("state") or {}).get("values") or {})
        approval = desk.approve(deps, context.suggestion_id, user_id, submission)
        if approval.lost:
            ack(response_action="update", view=notice_view("Already decided", approval.lost))
            return
        if approval.errors:
            ack(response_action="errors", errors=approval.errors)
            return
        ack()
        desk.approved(client, deps, approval, user_id, context.channel_id)

    @app.view(REJECT_FORM, middleware=[deps.require_admin])
    def rejected(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        user_id = body["user"]["id"]
        context = ReviewContext.decode(view.get("private_metadata"))
        if context.suggestion_id is None:
            ack(response_action="update", view=notice_view("Gone", "Nothing to reject."))
            return
        reason = read_reason((view.get("state") or {}).get("values") or {})
        outcome = desk.reject(deps, context.suggestion_id, user_id, reason)
        if outcome.lost or outcome.suggestion is None:
            ack(response_action="update", view=notice_view("Already decided", outcome.lost or ""))
            return
        ack()
        desk.rejected(client, deps, outcome.suggestion, user_id, context.channel_id)
