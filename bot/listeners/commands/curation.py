"""`/coopnews add` (the item modal) and `/coopnews audit` (the last changes): admins only."""

from __future__ import annotations

from bot.blocks.curation import FormContext, audit_message
from bot.blocks.items import notice_message
from bot.curation import desk
from bot.curation.modals import open_item_form
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from bot.numbers import looks_numeric, whole_number
from bot.slack_text import typed_link
from storage import curation

AUDIT_DEFAULT = 15
AUDIT_MAX = 40  # one section per change; messages hold at most 50 blocks


def open_add_form(call: CommandCall) -> None:
    url = typed_link(call.text)
    if url and call.trigger_id:  # `add URL`: the form filled in from the page
        call.ack()
        channel = call.channel_id or None
        desk.open_prefilled_form(
            call.client, call.deps, call.trigger_id, call.user_id, url, channel, True
        )
        return
    call.ack()
    # The channel is carried along so the confirmation appears where the admin typed.
    context = FormContext(channel_id=call.channel_id or None)
    open_item_form(call.client, call.deps, call.trigger_id or "", call.user_id, context)


def show_audit(call: CommandCall) -> None:
    count = AUDIT_DEFAULT
    if call.args and looks_numeric(call.args[0]):
        wanted = whole_number(call.args[0])
        if wanted is not None and wanted < 1:
            call.reply(
                notice_message(f"`audit` shows 1 to {AUDIT_MAX} changes: try `/coopnews audit`.")
            )
            return
        count = AUDIT_MAX if wanted is None else min(wanted, AUDIT_MAX)
    with call.deps.db.reading() as session:
        entries = curation.recent_changes(session, count)
    call.reply(audit_message(entries))


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "add",
            "add [URL]",
            "add a news item (opens a form, filled in from the page at URL)",
            open_add_form,
            True,
        )
    )
    router.add(
        Subcommand(
            "audit",
            "audit [N]",
            f"who added, edited or deleted what (last {AUDIT_DEFAULT}, at most {AUDIT_MAX})",
            show_audit,
            True,
        )
    )
