"""The Bolt app, built from settings by a function (tests build it with theirs)."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.listeners import register_listeners


def build_app(deps: Deps, token_verification: bool = True) -> App:
    settings = deps.settings
    app = App(
        client=deps.client,
        signing_secret=settings.signing_secret,
        # Socket Mode requests come over an authenticated WebSocket, not signed HTTP.
        request_verification_enabled=not settings.socket_mode,
        token_verification_enabled=token_verification,
    )
    register_listeners(app, deps)
    return app
