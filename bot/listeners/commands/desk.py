"""`/coopnews suggest URL` (everyone) and `/coopnews review here|off` (admins)."""

from __future__ import annotations

from bot.blocks.curation import mention
from bot.blocks.home import channel_mention
from bot.blocks.items import notice_message
from bot.blocks.text import escape
from bot.channel_access import ensure_member
from bot.curation import desk
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from bot.slack_text import typed_link
from storage import suggestions

SUGGEST_USAGE = "Type `/coopnews suggest URL` with the link of the story, or use the message shortcut *Suggest to coopnews*."


def suggest(call: CommandCall) -> None:
    url = typed_link(call.text)
    if not url or not call.trigger_id:
        call.reply(notice_message(SUGGEST_USAGE))
        return
    is_admin = call.is_admin()
    if not is_admin and desk.too_many_pending(call.deps, call.user_id):
        call.reply(notice_message(desk.too_many_text()))
        return
    call.ack()
    desk.open_prefilled_form(
        call.client,
        call.deps,
        call.trigger_id,
        call.user_id,
        url,
        call.channel_id or None,
        is_admin,
    )


def review(call: CommandCall) -> None:
    verb = call.args[0].lower() if call.args else ""
    deps = call.deps
    if verb == "here":
        access = ensure_member(deps.client, call.channel_id)
        if not access.ok:
            call.reply(notice_message(access.explanation or "I cannot post in this channel."))
            return
        with deps.db.transaction() as session:
            suggestions.add_review_channel(session, call.channel_id, call.user_id)
            waiting = suggestions.count_pending(session)
        text = (
            f"New suggestions will be posted in {channel_mention(call.channel_id)} with "
            f"Approve, Edit and Reject buttons ({mention(call.user_id)} turned this on; "
            f"`/coopnews review off` stops it). {waiting} waiting now: see the App Home."
        )
        call.ack(response_type="in_channel", **notice_message(text))
        return
    if verb == "off":
        with deps.db.transaction() as session:
            existed = suggestions.remove_review_channel(session, call.channel_id)
        text = (
            f"Suggestions are no longer posted in {channel_mention(call.channel_id)}."
            if existed
            else "This channel is not a review channel."
        )
        call.ack(response_type="in_channel" if existed else "ephemeral", **notice_message(text))
        return
    with deps.db.reading() as session:
        channels = suggestions.review_channels(session)
        waiting = suggestions.count_pending(session)
        failing = suggestions.last_post_errors(session)
    where = (
        ", ".join(
            channel_mention(c)
            + (f" (:warning: last post failed: {escape(failing[c])})" if c in failing else "")
            for c in channels
        )
        or "no channel"
    )
    call.reply(
        notice_message(
            f"{waiting} suggestions are waiting (App Home lists them). Review channels: {where}. "
            "`/coopnews review here` adds this channel, `/coopnews review off` removes it."
        )
    )


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "suggest",
            "suggest URL",
            "suggest a story to the editors (opens a form filled in from the page)",
            suggest,
        )
    )
    router.add(
        Subcommand(
            "review",
            "review [here | off]",
            "post new suggestions in this channel for review, or stop",
            review,
            True,
        )
    )
