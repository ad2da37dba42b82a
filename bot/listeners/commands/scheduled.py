"""`/coopnews scheduled`: the items waiting for their time, soonest first (admins only),
with the same Edit and Cancel buttons as App Home."""

from __future__ import annotations

from bot.blocks.scheduled import HOME_SCHEDULED, scheduled_list_message
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from storage import scheduled


def show_scheduled(call: CommandCall) -> None:
    with call.deps.db.reading() as session:
        rows = scheduled.upcoming(session, HOME_SCHEDULED)
        more = scheduled.count_pending(session) - len(rows)
        message = scheduled_list_message(rows, more)
    call.reply(message)


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "scheduled",
            "scheduled",
            "items waiting for their Publish at time, with Edit and Cancel",
            show_scheduled,
            True,
        )
    )
