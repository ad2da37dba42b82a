"""Listener registration: one `register(app, deps)` per listener kind."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.listeners import actions, commands, errors, events, shortcuts, views


def register_listeners(app: App, deps: Deps) -> None:
    errors.register(app)
    events.register(app, deps)
    commands.register(app, deps)
    actions.register(app, deps)
    views.register(app, deps)
    shortcuts.register(app, deps)
