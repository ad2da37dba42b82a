"""Events API listeners, behind a guard that drops Slack's retries of handled events."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.listeners.events import home, retries


def register(app: App, deps: Deps) -> None:
    retries.register(app, deps)
    home.register(app, deps)
