"""View submissions (modals): one module per feature, each with `register`."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.listeners.views import curation, rules_form, suggestions

VIEW_MODULES = [curation, rules_form, suggestions]


def register(app: App, deps: Deps) -> None:
    for module in VIEW_MODULES:
        module.register(app, deps)
