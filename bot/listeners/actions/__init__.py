"""Interactive components: button clicks and menus (block_actions)."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.listeners.actions import more


def register(app: App, deps: Deps) -> None:
    more.register(app, deps)
