"""Slash command listeners: `/coopnews` and its subcommands."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.listeners.commands import (
    categories,
    curation,
    desk,
    follows,
    help,
    latest,
    scheduled,
    search,
    sources,
    subscriptions,
)
from bot.listeners.commands.router import CommandRouter

# Each module registers its subcommands; order here is the order in `help`.
SUBCOMMAND_MODULES = [
    latest,
    search,
    categories,
    follows,
    curation,
    scheduled,
    desk,
    subscriptions,
    sources,
    help,
]


def register(app: App, deps: Deps) -> CommandRouter:
    router = CommandRouter(deps)
    for module in SUBCOMMAND_MODULES:
        module.register(router)
    app.command("/coopnews", middleware=[router.run_quick_inline])(router)
    return router
