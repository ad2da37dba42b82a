"""`/coopnews help` (also an empty or unknown subcommand)."""

from __future__ import annotations

from bot.blocks.help import help_message
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand


def register(router: CommandRouter) -> None:
    def show_help(call: CommandCall) -> None:
        unknown = call.name if call.name and call.name not in router.subcommands else None
        call.reply(help_message(router.listed, unknown=unknown, is_admin=call.is_admin()))

    router.add(Subcommand("help", "help", "what you can do here", show_help, quick=True))
