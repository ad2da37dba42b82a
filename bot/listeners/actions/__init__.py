"""Block actions (button clicks, menus): one module per feature, each with `register`."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.listeners.actions import curation, more, review, scheduled, subscriptions

ACTION_MODULES = [curation, more, review, scheduled, subscriptions]


def register(app: App, deps: Deps) -> None:
    for module in ACTION_MODULES:
        module.register(app, deps)
