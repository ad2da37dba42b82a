"""Listener registration: one `register(app, deps)` per listener kind."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.listeners import actions, commands, errors, events, shortcuts, views


def register_listeners(app: App, deps: Deps) -> None:
    errors.register(app)
    # `/coopnews` first: Bolt tries listeners in registration order, building every
    # matcher's arguments by name, and most requests are commands (a listener matches
    # one payload type only, so the order changes no answer).
    commands.register(app, deps)
    events.register(app, deps)
    actions.register(app, deps)
    views.register(app, deps)
    shortcuts.register(app, deps)
