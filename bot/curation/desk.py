"""The editorial desk: the form pre-filled from a link, suggestions, and admins' decisions.

Flow (issue "An editorial desk in Slack"): a member's shortcut or `/coopnews
suggest URL` opens a "Reading the page…" modal at once (the trigger_id expires
after 3 seconds), the page is read with the guarded fetcher
(sources/page_meta.py), and the modal is updated to the pre-filled form. A
member's submission is stored as a suggestion (storage/suggestions.py) and
posted to the review channels; an admin's Approve publishes it through the
item form's own save path (bot/listeners/views/curation.save_new: validation,
duplicate check, audit), Reject records a reason; the member gets a DM, the
review messages are updated, the admin's App Home is refreshed.

Rights are not checked here: the listeners that call the decisions are
registered with `deps.require_admin` (bot/admins.py).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.curation import ITEM_FORM, FormContext, saved_message
from bot.blocks.items import notice_message
from bot.blocks.suggestions import (
    REVIEW_EDIT_FORM,
    SUGGEST_FORM,
    ReviewContext,
    already_decided_text,
    approved_dm,
    decided_message,
    prefilled_form,
    reading_view,
    rejected_dm,
    review_message,
)
from bot.curation.form import FUTURE_SLACK, Submission, link_problem
from bot.curation.modals import MAX_CATEGORIES, local_today, tell_admin
from bot.deps import Deps
from bot.listeners.events.home import publish_home
from bot.listeners.views.curation import Rejected, duplicate_error, save_new
from domain.text import fit
from sources.page_meta import PageMeta, fetch_page_meta
from storage import categories, curation, suggestions
from storage.models import Item, Suggestion
from storage.types import utcnow

log = logging.getLogger(__name__)

TOO_MANY = (
    "You already have {limit} suggestions waiting for the editors: "
    "please wait until they decide on some of them."
)
NO_LINK = (
    "That message has no web link to suggest. Use the shortcut on a message with a link, "
    "or type `/coopnews suggest URL`."
)


# -- opening the pre-filled form ---------------------------------------------------
def suggest_metadata(channel_id: str | None, site_name: str | None) -> str:
    """private_metadata of a member's suggestion form (forgeable: read with care)."""
    return json.dumps({"channel_id": channel_id, "site_name": site_name})


def read_suggest_metadata(raw: str | None) -> tuple[str | None, str | None]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    channel, site = data.get("channel_id"), data.get("site_name")
    return (
        channel if isinstance(channel, str) and channel else None,
        fit(site, 200) if isinstance(site, str) and site.strip() else None,
    )


def too_many_pending(deps: Deps, user_id: str) -> bool:
    with deps.db.reading() as session:
        return suggestions.count_pending(session, user_id) >= suggestions.PENDING_PER_MEMBER


def read_page(deps: Deps, url: str) -> PageMeta:
    problem = link_problem(url)
    if problem:
        return PageMeta(url, reason=problem.rstrip("."))
    return fetch_page_meta(url, allow_private=deps.settings.allow_private_sources)


def open_prefilled_form(
    client: WebClient,
    deps: Deps,
    trigger_id: str,
    user_id: str,
    url: str,
    channel_id: str | None,
    as_admin: bool,
) -> None:
    """Open "Reading the page…" now, read the page, then update the modal to the form:
    the item form for an admin (an item at once), the suggestion form for a member."""
    try:
        opened = client.views_open(trigger_id=trigger_id, view=reading_view(url))
    except SlackApiError as exc:  # expired_trigger_id: Slack took too long to reach us
        log.warning("could not open the form for %s: %s", user_id, exc.response.get("error"))
        return
    view = opened.get("view") or {}
    page = read_page(deps, url)
    with deps.db.reading() as session:
        names = categories.names(session, MAX_CATEGORIES)
    today = local_today(deps, user_id)
    if page.published_at and page.published_at.date() > today + FUTURE_SLACK:
        # An events page's date ahead: the form would refuse it; today instead.
        page = replace(page, published_at=None)
    if as_admin:
        form = prefilled_form(
            names,
            today,
            page,
            callback_id=ITEM_FORM,
            private_metadata=FormContext(channel_id=channel_id).encode(),
            heading="Add a news item",
            submit="Add item",
        )
    else:
        form = prefilled_form(
            names,
            today,
            page,
            callback_id=SUGGEST_FORM,
            private_metadata=suggest_metadata(channel_id, page.site_name),
            heading="Suggest a news item",
            submit="Suggest",
        )
    try:
        client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=form)
    except SlackApiError as exc:  # closed meanwhile (hash_conflict, not_found): nothing to do
        log.info("the reading modal was not updated: %s", exc.response.get("error"))


# -- a member's suggestion -----------------------------------------------------------
def announce_suggestion(client: WebClient, deps: Deps, suggestion_id: int) -> None:
    """Post a new suggestion to every review channel, recording each message (or why not)."""
    with deps.db.reading() as session:
        suggestion = suggestions.get(session, suggestion_id)
        channels = suggestions.review_channels(session)
    if suggestion is None:
        return
    for channel_id in channels:
        ts, error = None, None
        try:
            ts = client.chat_postMessage(channel=channel_id, **review_message(suggestion))["ts"]
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown error")
            log.warning("suggestion %s not posted in %s: %s", suggestion_id, channel_id, error)
        except Exception as exc:  # no answer from Slack
            error = f"no answer from Slack ({type(exc).__name__})"
            log.warning("suggestion %s not posted in %s: %s", suggestion_id, channel_id, error)
        with deps.db.transaction() as session:
            suggestions.record_post(session, suggestion_id, channel_id, ts, error)


# -- decisions (admins; rights checked by the listeners' middleware) ---------------
def submission_of(suggestion: Suggestion) -> Submission:
    """A suggestion as the item form would submit it (what Approve saves)."""
    return Submission(
        title=suggestion.title,
        link=suggestion.url,
        category=suggestion.category,
        date=suggestion.published_at.date().isoformat(),
        summary=suggestion.summary,
    )


@dataclass
class Approval:
    """What an approval came to: published (`suggestion`, `item`), lost to another
    admin (`lost`), or refused by the form's checks (`errors`, {block_id: message})."""

    suggestion: Suggestion | None = None
    item: Item | None = None
    lost: str | None = None
    errors: dict[str, str] | None = None


def approve(
    deps: Deps, suggestion_id: int, user_id: str, submission: Submission | None = None
) -> Approval:
    """Publish a pending suggestion as an item (as submitted by Edit, else as suggested).

    The conditional UPDATE comes first: of two admins, one wins, the other learns
    who did. Then the item form's save path (save_new: validation, duplicate
    check, audit) adds the item in the same transaction, so a validation error
    or a duplicate rolls everything back and the suggestion stays pending.
    Nothing is said to Slack here: the caller acks, then calls `approved`.
    """
    today = utcnow().date()
    try:
        with deps.db.transaction() as session:
            suggestion = suggestions.decide(session, suggestion_id, suggestions.APPROVED, user_id)
            item = save_new(session, submission or submission_of(suggestion), today, user_id)
            suggestions.approved(session, suggestion, item.id, user_id)
    except suggestions.AlreadyDecided as lost:
        return Approval(lost=already_decided_text(lost.state, lost.decided_by))
    except Rejected as rejected:
        return Approval(errors=rejected.response.get("errors") or {"title": "Cannot be saved."})
    except curation.DuplicateItem as duplicate:
        return Approval(errors=duplicate_error(duplicate))
    return Approval(suggestion=suggestion, item=item)


def approved(
    client: WebClient, deps: Deps, approval: Approval, user_id: str, channel_id: str | None
) -> None:
    """After a committed approval: confirm to the admin, then `after_decision`."""
    assert approval.suggestion is not None and approval.item is not None
    tell_admin(client, user_id, channel_id, saved_message(approval.item, added=True))
    after_decision(client, deps, approval.suggestion, user_id, approval.item)


def reject(deps: Deps, suggestion_id: int, user_id: str, reason: str | None) -> Approval:
    """Reject a pending suggestion with an optional reason (audit entry included);
    `lost` says who decided first. The caller acks, then calls `rejected`."""
    try:
        with deps.db.transaction() as session:
            suggestion = suggestions.decide(
                session, suggestion_id, suggestions.REJECTED, user_id, reason
            )
    except suggestions.AlreadyDecided as lost:
        return Approval(lost=already_decided_text(lost.state, lost.decided_by))
    return Approval(suggestion=suggestion)


def rejected(
    client: WebClient, deps: Deps, suggestion: Suggestion, user_id: str, channel_id: str | None
) -> None:
    tell_admin(client, user_id, channel_id, decided_message(suggestion))
    after_decision(client, deps, suggestion, user_id)


def tell_lost(client: WebClient, user_id: str, channel_id: str | None, text: str) -> None:
    """The admin who clicked second: who decided first (ephemeral, else a DM)."""
    tell_admin(client, user_id, channel_id, notice_message(text))


def after_decision(
    client: WebClient, deps: Deps, suggestion: Suggestion, user_id: str, item: Item | None = None
) -> None:
    """Tell the member (approved: the item as published), update the review messages,
    refresh the deciding admin's Home. Each is best effort (the decision is committed)
    and logged when Slack refuses."""
    approved = suggestion.state == "approved"
    dm = approved_dm(suggestion, item) if approved else rejected_dm(suggestion)
    try:
        client.chat_postMessage(channel=suggestion.suggested_by, **dm)
    except SlackApiError as exc:
        log.warning(
            "could not tell %s about suggestion %s: %s",
            suggestion.suggested_by,
            suggestion.id,
            exc.response.get("error"),
        )
    with deps.db.reading() as session:
        posts = suggestions.posts_of(session, suggestion.id)
    decided = review_message(suggestion)
    for channel_id, ts in posts:
        try:
            client.chat_update(channel=channel_id, ts=ts, **decided)
        except SlackApiError as exc:
            log.warning(
                "review message %s in %s not updated: %s", ts, channel_id, exc.response.get("error")
            )
    try:
        publish_home(client, deps, user_id)
    except SlackApiError as exc:
        log.info("App Home of %s not refreshed: %s", user_id, exc.response.get("error"))


def edit_form(deps: Deps, suggestion: Suggestion, user_id: str, channel_id: str | None) -> dict:
    """The item form pre-filled with the suggestion; saving it approves (REVIEW_EDIT_FORM)."""
    with deps.db.reading() as session:
        names = categories.names(session, MAX_CATEGORIES)
    context = ReviewContext(suggestion.id, channel_id)
    return prefilled_form(
        names,
        local_today(deps, user_id),
        None,
        callback_id=REVIEW_EDIT_FORM,
        private_metadata=context.encode(),
        heading="Edit and approve",
        submit="Approve",
        draft=suggestion,
    )


def too_many_text() -> str:
    return TOO_MANY.format(limit=suggestions.PENDING_PER_MEMBER)
